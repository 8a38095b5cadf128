"""Every text of the dashboard, by page section, and `t()`; domain words come from the glossary."""

from __future__ import annotations

import streamlit as st

from schemas import glossary

LANGS = glossary.LANGS
LANG_NAMES = {"ja": "日本語", "en": "English"}

APP: dict[str, tuple[str, str]] = {
    "app.title": ("Bedboard 病床状況", "Bedboard bed status"),
    "app.language": ("言語", "Language"),
    # The navigation's titles, which are also each page's heading.
    "page.login": ("ログイン", "Sign in"),
    "page.overview": ("状況", "Overview"),
    "page.board": ("病床一覧", "Board"),
    "page.facility": ("施設詳細", "Facility"),
    "page.map": ("地図", "Map"),
    "page.trends": ("推移", "Trends"),
    "page.find": ("空床検索", "Find a bed"),
    "page.report": ("病床報告", "Bed report"),
    "page.upload": ("CSV一括報告", "CSV upload"),
    "page.inbox": ("受入依頼", "Placement inbox"),
    "page.placements": ("入院調整", "Placements"),
    "page.notices": ("お知らせ", "Notices"),
    "page.export": ("データ出力", "Data export"),
    "page.summary": ("会議資料", "Meeting summary"),
    "page.accounts": ("アカウント管理", "Accounts"),
    "page.registry": ("施設登録", "Facility registry"),
    "page.tokens": ("APIトークン", "API tokens"),
    "page.audit": ("監査記録", "Audit trail"),
    "page.notifications": ("通知設定", "Notifications"),
    # The live bell on every page (dashboard/bell.py).
    "bell.waiting": ("回答待ち {n}件", "{n} requests waiting"),
    "page.waiting": ("入院待機者", "Waiting list"),
    "page.case": ("待機者の詳細", "Case"),
    # The live header.
    "live.badge_on": ("ライブ", "Live"),
    "live.badge_off": ("停止中", "Paused"),
    "live.on": ("最終受信 {ago}", "last event {ago}"),
    "live.no_events": ("まだイベントがありません", "no events yet"),
    "live.connecting": ("ブローカーに接続中…", "Connecting to the broker…"),
    "live.lag": ("取り込み待ち {n} 件", "{n} events waiting to be applied"),
    "live.short_of_copies": (
        "Kafka のノードが停止中：残りのコピーで受信を継続（コピー不足 {n} 区画）",
        "a Kafka node is down: the other copies carry on ({n} partitions short of a copy)",
    ),
    "live.down": (
        "ブローカーに接続できません。表示中のデータは {ago} のものです（再接続を試みています）。",
        "The broker cannot be reached. The data shown is from {ago} (reconnecting).",
    ),
    "live.unwritable": (
        "このサーバーのレプリカに書き込めません（ディスクの空き不足の可能性）。表示中のデータは "
        "{ago} のものです。空きができれば自動で続きから取り込みます。",
        "This server's replica cannot be written (is its disk full?). The data shown is from "
        "{ago}; it goes on by itself once there is room.",
    ),
    "live.down_empty": (
        "ブローカーに接続できません。まだデータがありません（再接続を試みています）。",
        "The broker cannot be reached and there is no data yet (reconnecting).",
    ),
    "live.feed_off": (
        "ライブ更新なし（レプリカのみ表示）· 最終受信 {ago}",
        "live feed off (replica only) · last event {ago}",
    ),
    "live.updated": ("{time} 更新", "updated {time}"),
    # Ages, spans and units.
    "ago.seconds": ("{n}秒前", "{n} s ago"),
    "ago.minutes": ("{n}分前", "{n} min ago"),
    "ago.hours": ("{n}時間前", "{n} h ago"),
    "ago.days": ("{n}日前", "{n} days ago"),
    "ago.never": ("報告なし", "never reported"),
    "span.1m": ("1分", "1 min"),
    "span.5m": ("5分", "5 min"),
    "span.15m": ("15分", "15 min"),
    "span.1h": ("1時間", "1 h"),
    "span.6h": ("6時間", "6 h"),
    "span.24h": ("24時間", "24 h"),
    "span.7d": ("7日", "7 days"),
    "span.30d": ("30日", "30 days"),
    "range": ("期間", "Range"),
    "unit.beds": ("{n}床", "{n} beds"),
    "unit.facilities": ("{n}施設", "{n} facilities"),
    "unit.km": ("{n} km", "{n} km"),
    "dash": ("—", "—"),
    "unregistered": ("未登録", "unregistered"),
    # Columns the glossary does not name (the export's columns are glossary words).
    "col.facility": ("施設", "Facility"),
    "col.status": ("状態", "Status"),
    "col.updated": ("最終報告", "Last report"),
    "col.total_available": ("空床計", "Total free"),
    "col.distance": ("距離", "Distance"),
    "col.phone": ("電話", "Phone"),
    "col.received": ("受信時刻", "Received at"),
    "col.sender": ("送信者", "Sent by"),
    "col.beds": ("病床（使用中/即応）", "Beds (occupied/usable)"),
    "col.note": ("メモ", "Note"),
    "col.kind": ("種別", "Kind"),
    "col.detail": ("内容", "Details"),
    "col.since": ("発生", "Since"),
    "col.lines": ("報告済み病床種別", "Bed types reported"),
    "accepting": ("受入", "Admissions"),
    "ed": ("救急車", "Ambulances"),
    "legend": (
        "○ 空きあり　▲ 残りわずか（病床使用率90%以上）　● 満床　✖ 超過（使用中 > 即応病床数）　"
        "⚠ 更新遅れ",
        "○ room　▲ nearly full (90% or more)　● full　✖ over capacity (occupied > usable)　⚠ stale",
    ),
}

# English says "1 facility"; Japanese has no plural.
ENGLISH_SINGULAR = {
    "unit.facilities": "{n} facility",
    "bell.waiting": "{n} request waiting",
    "waiting.count": "{n} person",
    "rhythm.overdue_title": "Report overdue ({n} facility)",
}

OVERVIEW: dict[str, tuple[str, str]] = {
    "overview.title": ("市内の病床状況", "Beds across the city"),
    "overview.facilities": ("施設の受入状況", "Facilities"),
    "overview.by_type": ("病床種別ごと", "By bed type"),
    "overview.stale": ("更新遅れ", "Stale"),
    "overview.stale_help": (
        "最終報告から{hours}時間以上たった施設",
        "facilities whose last report is more than {hours} h old",
    ),
    "overview.no_notices": ("現在お知らせはありません。", "No current notices."),
    "overview.alerts": ("アラート", "Alerts"),
    "overview.no_alerts": ("アラートはありません。", "No alerts."),
    "overview.alerts_derived": (
        "アラート処理からの通知がないため、病床一覧から算出しています。",
        "Derived from the board: the alert processor has sent none.",
    ),
    "overview.alerts_more": (
        "ほか{n}件（全{total}件）。種別・地区で絞り込めます。",
        "{n} more ({total} in all). Narrow them by kind or district.",
    ),
    "overview.alerts_none_match": (
        "この条件のアラートはありません。",
        "No alert matches these filters.",
    ),
    "overview.alerts_download": ("{n}件をCSVでダウンロード", "Download all {n} as CSV"),
    "overview.empty": (
        "まだ病床の報告がありません。施設から報告が届くとここに表示されます。",
        "No bed reports yet. They appear here as facilities report.",
    ),
    "notice.until": ("{time} まで", "until {time}"),
    "notice.posted": ("{time} 掲載 · {by}", "posted {time} · {by}"),
    "alert.over_detail": (
        "{bed}: 使用中 {occupied} / 即応 {usable}",
        "{bed}: {occupied} occupied of {usable} usable",
    ),
    "alert.stale_detail": ("最終報告 {ago}", "last report {ago}"),
    "alert.occupancy_detail": ("{bed}: 病床使用率 {rate}", "{bed}: occupancy rate {rate}"),
}

WAITING: dict[str, tuple[str, str]] = {
    "waiting.lead": (
        "入院を待っている方の一覧です。重症度の高い順、待機の長い順に並び、各行に空床の候補を"
        "表示します。候補を押すと受入依頼の画面が開きます。",
        "Everyone waiting for a bed, the most severe and longest waiting first, each with the "
        "best free beds. Pick a bed to open the request.",
    ),
    "waiting.add": ("待機者を登録", "Add a case"),
    "waiting.ref": ("管理番号", "Case reference"),
    "waiting.ref_help": (
        "保健所の管理番号（例: HC-0412）。氏名・生年月日・電話番号・住所は書けません。",
        "The health centre's own code (e.g. HC-0412): never a name, birth date, phone or address.",
    ),
    "waiting.where": ("待機場所", "Waiting at"),
    "waiting.since_date": ("待機開始日", "Waiting since (date)"),
    "waiting.since_time": ("待機開始時刻", "Waiting since (time)"),
    "waiting.register": ("待機者に登録", "Add to the list"),
    "waiting.open": ("待機中の方", "Open cases"),
    "waiting.severe": ("うち重症", "Of which severe"),
    "waiting.longest": ("最長の待機", "Longest wait"),
    "waiting.empty": ("入院を待っている方はいません。", "Nobody is waiting for a bed."),
    "waiting.waited": ("待機 {span}", "waiting {span}"),
    "waiting.minutes": ("{n}分", "{n} min"),
    "waiting.hours": ("{n}時間", "{n} h"),
    "waiting.days": ("{n}日", "{n} days"),
    "waiting.to": ("依頼先: {facility} · {bed}", "Asked: {facility} · {bed}"),
    "waiting.suggest": ("空床の候補", "Best free beds"),
    "waiting.none_free": (
        "条件に合う空床がありません（仮押さえ分を除く）",
        "No free bed fits (beds held excluded)",
    ),
    "waiting.bed": ("{facility} · {bed} · 空床 {n}", "{facility} · {bed} · {n} free"),
    "waiting.details": ("詳細", "Details"),
    "waiting.next": (
        "前の依頼は {what}。次の候補から選べます。",
        "The last request: {what}. The next beds are offered.",
    ),
    "waiting.placed_at": ("{facility} · {bed}", "{facility} · {bed}"),
    "waiting.count": ("{n}人", "{n} people"),
    # Step-down (後方支援): a transfer out of a hospital is a case that waits at that hospital.
    "waiting.from_facility": ("転院元（後方支援）", "Transfer out of (step-down)"),
    "waiting.from_help": (
        "後方支援の転院のときだけ選び、待機場所を「入院中（後方支援の転院）」にしてください。"
        "後方支援の報告がある施設が先に並びます。",
        "Only for a step-down transfer: choose the hospital and set Waiting at to In hospital. "
        "Facilities that reported step-down come first.",
    ),
    "waiting.from_none": ("—（転院ではない）", "— (not a transfer)"),
    "waiting.from_option": (
        "{facility} · 転院可 {lower} · 退院可 {home}",
        "{facility} · {lower} to lower care · {home} home",
    ),
    "waiting.step_down_from": (
        "転院（後方支援）: {facility}",
        "Step-down transfer from {facility}",
    ),
    "case.choose": ("待機者を選ぶ", "Choose a case"),
    "case.none": (
        "待機者が選ばれていません。入院待機者の一覧から選んでください。",
        "No case chosen: pick one on the waiting list.",
    ),
    "case.placements": ("依頼の履歴", "Requests"),
    "case.no_requests": ("まだ依頼していません。", "No request sent yet."),
    "case.history": ("経過", "History"),
    "case.arranged": ("搬送を手配した", "Transport arranged"),
    "case.in_transit": ("搬送を開始した", "Transport started"),
    "case.admitted": ("入院した", "Admitted"),
    "case.cancel": ("依頼を取り消す", "Cancel the request"),
    "case.withdraw": ("待機者から外す", "Withdraw the case"),
    "case.withdraw_send": ("外す", "Withdraw"),
    "case.registered_by": ("登録 {time} · {by}", "added {time} · {by}"),
    "history.case.registered": ("待機者登録", "Added"),
    "history.case.withdrawn": ("待機者から除外", "Withdrawn"),
    "history.placement.transport": ("搬送", "Transport"),
    "history.placement.lapsed": ("期限の経過", "Lapsed"),
    "hold.column": ("仮押さえ", "Held"),
    "hold.help": (
        "受入承諾から入院（または取り消し・期限切れ）まで1床を仮押さえします。空床数は仮押さえと"
        "報告前の入院を除いた数です。",
        "An accepted request holds one bed until admission, cancellation or lapse. Free beds "
        "are net of holds and of admissions the hospital has not reported yet.",
    ),
    "hold.count": ("仮押さえ {n}床", "{n} held"),
    "step_down.title": (
        "後方支援（転院・退院の可能な入院患者）",
        "Step-down (patients who could move on)",
    ),
    "step_down.lower_care": ("転院・転棟可能", "Could move to lower care"),
    "step_down.home": ("自宅・宿泊療養へ", "Could go home"),
    "step_down.none": ("後方支援の報告はまだありません。", "No step-down reports yet."),
    "step_down.arrange": (
        "転院の手配は入院待機者のページで、待機場所「入院中（後方支援の転院）」と転院元を選んで"
        "登録します。",
        "To arrange a transfer out, add a case on the waiting list: Waiting at In hospital, "
        "and the hospital it moves out of.",
    ),
}

BOARD: dict[str, tuple[str, str]] = {
    "board.search": ("施設名・IDで検索", "Search by name or ID"),
    "board.accepting": ("受入状況", "Admissions"),
    "board.sort": ("並べ替え", "Sort by"),
    "sort.available": ("空床の多い順", "Most available first"),
    "sort.occupancy": ("病床使用率の低い順", "Lowest occupancy rate first"),
    "sort.updated": ("報告の新しい順", "Most recent report first"),
    "sort.name": ("施設名順", "Name"),
    "board.count": ("{shown} / {total} 施設", "{shown} of {total} facilities"),
    "board.free": ("空床 計{n}床", "{n} free beds in all"),
    "board.page": ("ページ", "Page"),
    "board.page_of": ("{page} / {pages} ページ", "page {page} of {pages}"),
    "board.open": ("行を選ぶと施設詳細を開きます。", "Select a row to open the facility."),
    "board.none": ("条件に合う施設はありません。", "No facility matches these filters."),
    "board.unregistered": ("未登録の送信元", "Unregistered sources"),
    "board.unregistered_help": (
        "施設登録（facility.registered）がまだ届いていない送信元からの報告です。",
        "Reports from sources with no facility.registered event yet.",
    ),
}

FACILITY: dict[str, tuple[str, str]] = {
    "facility.none": ("施設がまだありません。", "No facilities yet."),
    "facility.unregistered": (
        "この送信元は施設登録がまだありません。",
        "This source has not been registered as a facility yet.",
    ),
    "facility.current": ("現在の病床", "Beds now"),
    "facility.history": ("病床の推移", "Bed history"),
    "facility.reports": ("報告履歴", "Reports"),
    "facility.note": ("最新のメモ", "Latest note"),
    "facility.no_reports": ("まだ報告がありません。", "No reports yet."),
    "facility.licensed": ("許可病床", "Licensed beds"),
}

MAP_AND_TRENDS: dict[str, tuple[str, str]] = {
    "map.no_location": ("位置情報のない施設", "Facilities without a location"),
    "map.none": ("位置情報のある施設がありません。", "No facility has a location."),
    "map.caption": (
        "背景地図なしで描画しています（外部に接続しません）。線は市町村の境界、灰色の文字は地区です。"
        "施設の印をクリックすると、その施設の詳細を開きます。",
        "Drawn without map tiles (no outside connection). Lines are municipal boundaries, grey "
        "labels are districts. Click a facility's marker to open its page.",
    ),
    "map.source": (
        "境界：気象庁「予報区等GISデータ」（市町村等）を加工して作成",
        "Boundaries: Japan Meteorological Agency, forecast-area GIS data (municipalities), "
        "processed by Bedboard",
    ),
    "map.no_type": ("この病床種別なし", "no beds of this type"),
    "trends.title": ("病床使用率の推移", "Occupancy rate over time"),
    "trends.by": ("内訳", "Break down by"),
    "trends.metric": ("指標", "Measure"),
    "trends.all": ("すべて", "All"),
    "trends.none": ("この期間の報告はありません。", "No reports in this range."),
    "trends.step": ("{step}ごとの状態", "state every {step}"),
    "trends.secured_help": (
        "点線は確保病床数（現在のフェーズ {phase} の確保計画で数えたもの）、実線は即応病床数。",
        "Dashed: secured beds (counted by the plan for the current phase, {phase}); solid: "
        "usable beds.",
    ),
}

FIND: dict[str, tuple[str, str]] = {
    "find.auto": ("自動（重症度・必要な対応から）", "Automatic (from severity and needs)"),
    "find.origin": ("出発地点", "Starting point"),
    "find.origin_none": ("指定なし", "None"),
    "find.origin_district": ("地区: {name}", "District: {name}"),
    "find.origin_facility": ("施設: {name}", "Facility: {name}"),
    "find.searching": ("対象の病床種別: {types}", "Bed types searched: {types}"),
    "find.unmapped": (
        "{needs} は病床種別では絞り込めません。依頼の際に施設へ確認してください。",
        "{needs} cannot be matched to a bed type; confirm with the facility when requesting.",
    ),
    "find.results": ("今受け入れられる施設 {n}件", "{n} facilities can take the patient now"),
    "find.none": (
        "条件に合う空床はありません。条件を広げるか、受入制限中の施設に相談してください。",
        "No free bed matches. Widen the search or call a facility with limited admissions.",
    ),
    "find.rank_help": (
        "空床あり・受入停止を除く。並び順: 受入可 → 制限あり、更新の新しい施設 → 更新遅れ、"
        "空床の多い順、近い順。",
        "Free beds only, closed facilities left out. Order: open before limited, fresh before "
        "stale, most available, then nearest.",
    ),
    "find.request": ("依頼する", "Request"),
    "find.oxygen": ("酸素可 {n}", "O₂ {n}"),
    "find.request_help": (
        "この施設へ受入依頼を送ります",
        "Send a placement request to this facility",
    ),
    "find.more": ("表示件数", "Show"),
}

SIGN_IN: dict[str, tuple[str, str]] = {
    "auth.title": ("Bedboard ログイン", "Sign in to Bedboard"),
    "auth.lead": (
        "八王子市 病床情報共有システム。病院・保健所・市役所の職員用です。",
        "Hachioji shared bed status, for hospital, health-centre and city-hall staff.",
    ),
    "auth.username": ("ユーザー名", "Username"),
    "auth.password": ("パスワード", "Password"),
    "auth.failed": ("ユーザー名またはパスワードが違います。", "Wrong username or password."),
    "auth.blank": (
        "ユーザー名とパスワードを入力してください。",
        "Enter your username and password.",
    ),
    "auth.throttled": (
        "ログインの失敗が続いたため、あと{seconds}秒はログインできません。",
        "Too many failed sign-ins: try again in {seconds} s.",
    ),
    "auth.expired": (
        "セッションの有効期限が切れました。もう一度ログインしてください。",
        "Your session has expired. Please sign in again.",
    ),
    "auth.ended": (
        "アカウントが変更されたため、ログアウトしました。",
        "Your account was changed, so you have been signed out.",
    ),
    "auth.forbidden": (
        "このページを開く権限がありません（あなたの役割: {role}）。",
        "Your role ({role}) may not open this page.",
    ),
    "auth.sso": ("シングルサインオンでログイン", "Sign in with single sign-on"),
    "auth.or": ("または", "or"),
    "auth.sso_unknown": (
        "{email} は Bedboard に登録されていません。管理者に登録を依頼してください。",
        "{email} is not registered in Bedboard. Ask an administrator to add you.",
    ),
    "auth.sso_unverified": (
        "{email} は確認済みのメールアドレスではないため、ログインできません。"
        "ID プロバイダーでメールアドレスを確認してください。",
        "{email} is not a verified e-mail address, so you cannot sign in. "
        "Verify it with your identity provider.",
    ),
    "auth.no_accounts": (
        "アカウントがまだありません。管理者が `bedboard users add` で作成します。",
        "There are no accounts yet. An administrator creates them with `bedboard users add`.",
    ),
    "auth.signed_in": ("{user}（{role}）", "{user} ({role})"),
    "auth.facilities": ("担当: {facilities}", "For: {facilities}"),
    "auth.logout": ("ログアウト", "Sign out"),
    "auth.signed_out": (
        "ログアウトしました（他のタブでもログアウトされます）。",
        "You are signed out (in your other tabs too).",
    ),
    "auth.session_gone": (
        "このセッションは終了しました（ログアウトまたは管理者による終了）。もう一度ログインしてください。",
        "This session has ended (signed out, or ended by an administrator). Please sign in again.",
    ),
}

SENDING: dict[str, tuple[str, str]] = {
    "sent.live": (
        "受け付けました。ボードに反映されています（{time}）。",
        "Received and live on the board ({time}).",
    ),
    "sent.queued": (
        "ブローカーに接続できないため、送信待ちとして保存しました（待ち {n} 件）。"
        "接続が戻ると自動的に送信されます。",
        "The broker cannot be reached, so this is queued in the outbox ({n} waiting). "
        "It is sent automatically when the broker is back.",
    ),
    "form.problems": (
        "入力に誤りがあります。直してから送信してください。",
        "Some entries need fixing before this can be sent.",
    ),
    "form.choose": ("選択してください", "Choose"),
    "form.no_identifiers": (
        "患者の氏名・ID・生年月日など、個人を特定できる情報は書かないでください。",
        "Do not write patient names, numbers, birth dates or anything that identifies a person.",
    ),
    "field.title": ("件名", "title"),
    "field.body": ("本文", "body"),
}

REPORT: dict[str, tuple[str, str]] = {
    "report.none": (
        "担当施設が設定されていません。管理者に連絡してください。",
        "No facility is assigned to your account. Contact an administrator.",
    ),
    "report.prefilled": (
        "前回の報告（{time}）の値が入っています。変わった数だけ直して送信してください。",
        "Filled in from the last report ({time}): change what changed, then send.",
    ),
    "report.first": (
        "この施設の報告はまだありません。許可病床の種別を並べています。",
        "No report from this facility yet: its licensed bed types are listed.",
    ),
    "report.beds": ("病床", "Beds"),
    "report.beds_help": (
        "空欄の行は送信しません（その種別は前回の値のまま）。",
        "Blank lines are not sent (those bed types keep their earlier values).",
    ),
    "report.add_type": ("病床種別を追加", "Add a bed type"),
    "report.accepting": ("新規入院の受入", "New admissions"),
    "report.ed": ("救急車の受入", "Ambulance arrivals"),
    "report.note": ("メモ（任意・500文字まで）", "Note (optional, at most 500 characters)"),
    "report.send": ("送信", "Send"),
    "report.surge": (
        "{beds} で使用中が即応病床を超えています。増床対応として、このまま送信しますか？",
        "Occupied exceeds usable for {beds}. Is this a surge you want to report as it is?",
    ),
    "report.surge_confirm": ("はい、超過のまま送信します", "Yes, send it with the surge"),
    "report.last": ("前回の報告", "Last report"),
    "report.last_meta": ("{time} · {by}", "{time} · {by}"),
    "upload.help": (
        "1行に1施設・1病床種別。すべての行を確認してから、問題がなければまとめて送信します"
        "（1行でも問題があれば何も送信しません）。accepting・ed_status・note・occurred_at は"
        "施設ごとに1つの値で、空欄でもかまいません。",
        "One row per facility and bed type. Every row is checked first; the file is sent whole "
        "only when no row has a problem. accepting, ed_status, note and occurred_at hold one value "
        "per facility and may be left empty.",
    ),
    "upload.template": ("テンプレートをダウンロード", "Download the template"),
    "upload.file": ("CSVファイル（UTF-8 または Shift_JIS）", "CSV file (UTF-8 or Shift_JIS)"),
    "upload.ok": (
        "{facilities}施設・{rows}行を確認しました。問題はありません。",
        "Checked {rows} rows for {facilities} facilities: no problems.",
    ),
    "upload.send": ("すべて送信", "Send all"),
    "upload.refused": (
        "{n}件の問題があるため、何も送信していません。すべて直してから、もう一度アップロードしてください。",
        "Nothing was sent because of {n} problem(s). Fix them all, then upload the file again.",
    ),
    "upload.codes": ("病床種別コード一覧", "Bed type codes"),
    "upload.row": ("行", "Row"),
    "upload.column": ("列", "Column"),
    "upload.problem": ("問題", "Problem"),
}

PLACEMENTS: dict[str, tuple[str, str]] = {
    "placement.bed_type": ("希望病床", "Bed type"),
    "placement.note": ("補足（任意）", "Note (optional)"),
    "placement.facility": ("依頼先", "Facility"),
    "placement.requested_by": ("依頼者", "Requested by"),
    "placement.requested_at": ("依頼時刻", "Requested"),
    "placement.updated_at": ("更新", "Updated"),
    "placement.reason": ("理由", "Reason"),
    "placement.patient": ("{age}・{severity}", "{age}, {severity}"),
    "placement.none_needs": ("特になし", "none"),
    "request.title": ("受入依頼を送る", "Send a placement request"),
    "request.to": ("{facility}・{bed}", "{facility}, {bed}"),
    "request.send": ("依頼を送信", "Send request"),
    "request.sent": (
        "依頼を送りました。回答は「入院調整」ページにリアルタイムで表示されます。",
        "Request sent. The answer appears live on the Placements page.",
    ),
    "inbox.lead": (
        "保健所からの受入依頼です。新しい依頼は自動で表示されます。",
        "Requests from the health centre. New ones appear here by themselves.",
    ),
    "inbox.empty": ("回答待ちの依頼はありません。", "No request is waiting for an answer."),
    "inbox.accept": ("受け入れる", "Accept"),
    "inbox.decline": ("お断りする", "Decline"),
    "inbox.reason": ("お断りの理由（必須・200文字まで）", "Reason (required, at most 200 chars)"),
    "inbox.answered": ("回答済み", "Answered"),
    "inbox.answer_queued": ("回答済み（送信待ち）", "Answered (queued in the outbox)"),
    "inbox.recent": ("最近の依頼", "Recent requests"),
    "placements.lead": (
        "受入依頼と回答の一覧です。回答は自動で更新されます。",
        "Requests and answers; answers appear by themselves.",
    ),
    "placements.open": ("対応中のみ", "Open only"),
    "placements.empty": (
        "受入依頼はまだありません。「空床検索」から依頼できます。",
        "No placement requests yet. Send one from Find a bed.",
    ),
    "placements.history": ("履歴", "History"),
    "placements.close_as": ("終了区分", "Close as"),
    "placements.close": ("終了にする", "Close"),
    "history.placement.requested": ("依頼", "Requested"),
    "history.placement.responded": ("回答", "Answered"),
    "history.placement.closed": ("終了", "Closed"),
}

NOTICES: dict[str, tuple[str, str]] = {
    "notices.post": ("お知らせを掲載", "Post a notice"),
    "notices.severity": ("重要度", "Severity"),
    "notices.heading": ("件名（100文字まで）", "Title (at most 100 characters)"),
    "notices.body": (
        "本文（2000文字まで・そのままの文字で表示）",
        "Text (at most 2000, shown as typed)",
    ),
    "notices.expires": ("掲載期限", "Show until"),
    "notices.no_expiry": ("期限なし", "No end"),
    "notices.expiry_date": ("期限日", "End date"),
    "notices.expiry_time": ("期限時刻", "End time"),
    "notices.submit": ("掲載する", "Post"),
    "notices.list": ("掲載したお知らせ", "Posted notices"),
    "notices.empty": ("お知らせはまだありません。", "No notices yet."),
    "notices.withdraw": ("取り下げる", "Withdraw"),
    "notices.active": ("掲載中", "Showing"),
    "notices.expired": ("掲載終了", "Ended"),
    "notices.withdrawn": ("取り下げ済み", "Withdrawn"),
}

EXPORT: dict[str, tuple[str, str]] = {
    "export.daily": ("日次スナップショット", "Daily snapshot"),
    "export.daily_help": (
        "選んだ日の締め時刻の病床状況です。同じ基準時刻と確定時刻なら、いつ出力しても同じ内容"
        "（同じ SHA-256）になります。",
        "The beds at the cutoff of the chosen day. The same as-of and known-at always give the "
        "same rows (the same SHA-256), whenever they are exported.",
    ),
    "export.known_at": (
        "確定時刻 known_at（公表済みの出力を再現する場合のみ）",
        "Known at (to reproduce a published export)",
    ),
    "export.known_at_help": (
        "この時刻までに届いた報告だけを使います。空欄なら現在（取り込み済みの範囲）。"
        "例: 2026-11-26T09:05:00+09:00",
        "Only reports received by then count. Empty: now (as far as this replica has applied). "
        "E.g. 2026-11-26T09:05:00+09:00",
    ),
    "export.known_at_future": (
        "known_at: 未来の時刻は指定できません（同じ出力を再現できなくなるため）",
        "known_at: must not be in the future (the export could not be reproduced)",
    ),
    "export.future": (
        "締め時刻 {as_of} はまだ来ていません。現在までに届いた報告で表示しています。",
        "The cutoff {as_of} has not come yet: this shows the reports received so far.",
    ),
    "export.lagging": (
        "取り込み待ちの報告があるため、確定時刻は取り込み済みの {known_at} までです。",
        "Some reports are still being applied: known-at is {known_at}, as far as is applied.",
    ),
    # The meeting summary (its words for the summary itself are the glossary's summary.*).
    "meeting.help": (
        "前回の会議から今までの変化：病床種別・地区ごとの使用状況、入院調整の結果とお断りの理由、"
        "入院等調整中の人数の推移。同じ確定時刻なら、いつ作り直しても同じ内容です。",
        "What changed since the last meeting: beds by type and district, placements and why "
        "requests were declined, and the people waiting over time. The same known-at always "
        "gives the same summary.",
    ),
    "meeting.time": ("開始時刻", "Start time"),
    "meeting.pdf": ("PDF（印刷用）", "PDF (to print)"),
    "meeting.no_chromium": (
        "このサーバーには印刷用の Chromium がありません（apt-get install chromium fonts-noto-cjk）",
        "This server has no Chromium to print with (apt-get install chromium fonts-noto-cjk)",
    ),
    "meeting.since_after": (
        "開始は確定時刻（{known_at}）より前にしてください",
        "The start must come before the known-at ({known_at})",
    ),
    "export.meta": (
        "基準時刻 {as_of} · 確定時刻 {known_at} · 報告 {events}件 · SHA-256 `{sha}`",
        "As of {as_of} · known at {known_at} · {events} reports · SHA-256 `{sha}`",
    ),
    "export.facilities": ("施設数", "Facilities"),
    "export.stale_count": ("報告が古い施設", "Stale facilities"),
    "export.empty": ("この時点までの報告はありません。", "No reports up to this time."),
    "export.png": ("グラフ (PNG)", "Chart (PNG)"),
    "export.range": ("期間レポート", "Range report"),
    "export.range_help": (
        "毎日の締め時刻の、地区 × 病床種別ごとの合計です。",
        "Per day at the cutoff: totals per district and bed type.",
    ),
    "export.range_incomplete": (
        "開始日と終了日を選んでください。",
        "Choose a first and a last day.",
    ),
    "export.range_too_long": (
        "期間: {most}日以内にしてください（選択は{days}日）",
        "Range: at most {most} days (chosen: {days})",
    ),
    "export.unregistered": ("（未登録）", "(unregistered)"),
    "export.stale_mark": ("⚠ 古い", "⚠ stale"),
}

# Contract v2's categories on the board, the overview and the export page.
RETURNS: dict[str, tuple[str, str]] = {
    "phase.declare": ("フェーズを宣言する", "Declare the phase"),
    "phase.current": ("現在のフェーズ", "Current phase"),
    "phase.note": ("理由・補足（任意）", "Reason or remark (optional)"),
    "phase.submit": ("フェーズを送信", "Send the phase"),
    "phase.banner": (
        "現在のフェーズ: {phase}（{since} から）",
        "Current phase: {phase} (since {since})",
    ),
    "phase.none": (
        "フェーズは宣言されていません（確保病床は各病院の報告、なければ即応病床数）",
        "No phase declared (secured beds: as hospitals report them, else their usable beds)",
    ),
    "secured.title": ("確保病床と即応病床", "Secured and usable beds"),
    "secured.secured": ("確保病床数", "Secured beds"),
    "secured.rate": ("病床使用率（確保病床比）", "Occupancy of secured beds"),
    "secured.rate_help": (
        "入院者数 ÷ 確保病床数（国の週次調査と同じ定義。宿泊療養・臨時の医療施設・"
        "入院待機ステーションを除く）",
        "Inpatients ÷ secured beds, as the national weekly survey defines it (hospital beds only)",
    ),
    "secured.oxygen": ("酸素投与可能", "Oxygen-capable"),
    "secured.oxygen_help": (
        "即応病床のうち酸素投与ができる病床（報告のあった分）",
        "Usable beds that can give oxygen (where hospitals report it)",
    ),
    "secured.rooms_value": ("{used} / {rooms} 室", "{used} / {rooms} rooms"),
    "secured.short": (
        "即応病床が確保病床に満たない病院 {n}件（不足 {beds}床）",
        "Hospitals with fewer usable beds than they secured: {n} ({beds} beds short)",
    ),
    "secured.short_none": (
        "即応病床はすべての病院で確保病床を満たしています。",
        "Every hospital's usable beds meet what it secured.",
    ),
    "secured.gap": ("不足", "Short"),
    "secured.short_metric": ("確保病床に満たない病院", "Short of secured beds"),
    "secured.short_help": (
        "即応病床数が確保病床数を下回る病院（不足の合計 {beds}床）。病床一覧に一覧があります。",
        "Hospitals with fewer usable beds than they secured ({beds} beds in all); see the Board.",
    ),
    "export.survey": ("国の週次調査（様式）", "National weekly survey (its layout)"),
    "export.survey_help": (
        "厚生労働省「療養状況等及び入院患者受入病床数等に関する調査」の列で、地区ごとと市合計。"
        "選んだ日の0時時点（水曜日が調査日）。各列の定義は docs/returns.md。",
        "The MHLW weekly survey's columns, per district and for the city, as of 0:00 of the "
        "chosen day (the survey's day is Wednesday). Each column is defined in docs/returns.md.",
    ),
    "export.survey_day": ("調査日", "Survey day"),
    "export.survey_meta": (
        "基準時刻 {as_of} · 確定時刻 {known_at} · フェーズ {phase} · {rows}行 · SHA-256 `{sha}`",
        "As of {as_of} · known at {known_at} · phase {phase} · {rows} rows · SHA-256 `{sha}`",
    ),
    "export.survey_not_wednesday": (
        "国の調査日は水曜日です（選んだ日: {day}）。",
        "The national survey is as of a Wednesday (chosen: {day}).",
    ),
}

ADMIN: dict[str, tuple[str, str]] = {
    "accounts.role": ("役割", "Role"),
    "accounts.facilities": ("担当施設", "Facilities"),
    "accounts.facilities_help": (
        "病院スタッフのみ。施設IDをカンマ区切りで（例: HJ-0001, HJ-0002）",
        "Hospital staff only: facility ids separated by commas (e.g. HJ-0001, HJ-0002)",
    ),
    "accounts.active": ("有効", "Active"),
    "accounts.disabled": ("無効", "Disabled"),
    "accounts.sessions": ("ログイン中のセッション", "Open sessions"),
    "accounts.add": ("アカウントを追加", "Add an account"),
    "accounts.change": ("アカウントを変更", "Change an account"),
    "accounts.pick": ("変更するアカウント", "Account to change"),
    "accounts.save": ("役割と担当施設を保存", "Save role and facilities"),
    "accounts.reset": ("パスワードを再発行", "Reset password"),
    "accounts.disable": ("無効にする", "Disable"),
    "accounts.enable": ("有効に戻す", "Enable again"),
    "accounts.end_sessions": ("全セッションを終了", "End all sessions"),
    "accounts.not_yourself": (
        "自分のアカウントは無効にできません。",
        "You cannot disable your own account.",
    ),
    "accounts.ended": (
        "{user} のセッションを {n} 件終了しました。",
        "Ended {n} session(s) of {user}.",
    ),
    "accounts.password_once": (
        "{user} の新しいパスワードです。この画面を離れると二度と表示されません。"
        "本人に安全な方法で伝えてください。",
        "The new password of {user}. It is shown only this once: pass it on by a safe channel.",
    ),
    "tokens.lead": (
        "病院のシステムがAPIで病床数を送る・読むための鍵です。"
        "トークン本体は発行時に一度だけ表示され、保存されるのはハッシュのみです。",
        "Keys with which hospital systems send or read bed counts through the API. A token is "
        "shown once, when it is issued; only its hash is kept.",
    ),
    "tokens.none": ("トークンはまだありません。", "No tokens yet."),
    "tokens.id": ("ID", "ID"),
    "tokens.name": ("名前（イベントの送信者）", "Name (who speaks in its events)"),
    "tokens.name_help": (
        "空欄なら api.<施設ID>（読み取り専用なら reader.<ID>）",
        "Empty: api.<facility id> (reader.<id> for a read-only token)",
    ),
    "tokens.kind": ("トークンの種類", "Kind of token"),
    "tokens.submit": ("送信用", "Send"),
    "tokens.read": ("読み取り専用", "Read-only"),
    "tokens.issued_at": ("発行日時", "Issued"),
    "tokens.revoked_at": ("失効日時", "Revoked"),
    "tokens.issue": ("トークンを発行", "Issue a token"),
    "tokens.facilities_help": (
        "送信用は必須。施設IDをカンマ区切りで（例: HJ-0001, HJ-0002）",
        "Required to send: facility ids separated by commas (e.g. HJ-0001, HJ-0002)",
    ),
    "tokens.once": (
        "トークン {id}（{name}）です。この画面を離れると二度と表示されません。"
        "病院のシステム担当者に安全な方法で伝えてください。",
        "Token {id} ({name}). It is shown only this once: pass it on to the hospital's system "
        "administrator by a safe channel.",
    ),
    "tokens.revoke": ("トークンを失効させる", "Revoke a token"),
    "tokens.pick": ("失効させるトークン", "Token to revoke"),
    "tokens.revoke_now": ("失効させる", "Revoke"),
    "tokens.revoked": (
        "トークン {id}（{name}）を失効させました。APIは1秒以内に拒否します。",
        "Token {id} ({name}) is revoked; the API refuses it within a second.",
    ),
    "registry.edit": ("施設を追加・編集", "Add or edit a facility"),
    "registry.new": ("（新しい施設）", "(a new facility)"),
    "registry.name_ja": ("施設名（日本語）", "Name (Japanese)"),
    "registry.name_en": ("施設名（英語）", "Name (English)"),
    "registry.phone": ("電話番号", "Phone"),
    "registry.lat": ("緯度", "Latitude"),
    "registry.lon": ("経度", "Longitude"),
    "registry.licensed": (
        "許可病床数（病床種別ごと、任意）",
        "Licensed beds per bed type (optional)",
    ),
    "registry.save": ("登録する", "Register"),
    "registry.import": ("施設台帳CSVの取り込み", "Import the registry CSV"),
    "registry.import_help": (
        "施設台帳CSV（facility_id, name_ja, kind, district …）。"
        "誤りが1つでもあれば何も登録しません。",
        "The registry CSV (facility_id, name_ja, kind, district …). "
        "One error and nothing is registered.",
    ),
    "registry.import_send": ("取り込む", "Import"),
    "audit.lead": (
        "すべてのイベント（誰が・どの経路で・いつ）、取り込めなかったレコードとその理由、"
        "ログイン、アカウントとAPIトークンの操作の記録です。",
        "Every event (who, by which way, when), every refused record with its reason, "
        "and every sign-in, account change and API token change.",
    ),
    "audit.empty": ("記録はまだありません。", "Nothing recorded yet."),
    "audit.person": ("操作した人", "Person"),
    "audit.kind": ("種類", "Kind"),
    "audit.count": ("{total} 件中 {shown} 件を表示", "Showing {shown} of {total}"),
    "audit.download": ("CSVで保存", "Download CSV"),
    "audit.col.occurred_at": ("発生時刻", "Occurred"),
    "audit.col.ingested_at": ("取り込み時刻", "Ingested"),
    "audit.col.what": ("記録の種類", "Record"),
    "audit.col.source": ("経路", "Source"),
    "audit.col.detail": ("詳細・理由", "Detail or reason"),
    "audit.what.event": ("イベント", "Event"),
    "audit.what.rejected": ("取り込み拒否", "Rejected"),
    "audit.what.audit": ("ログイン・アカウント", "Sign-in or account"),
    # What happened, by the audit log's action or the event's type.
    "audit.signed_in": ("ログインした", "Signed in"),
    "audit.sign_in_refused": ("ログインを拒否", "Sign-in refused"),
    "audit.signed_out": ("ログアウトした", "Signed out"),
    "audit.sessions_ended": ("セッションを終了させた", "Sessions ended"),
    "audit.account_added": ("アカウント追加", "Account added"),
    "audit.account_changed": ("アカウント変更", "Account changed"),
    "audit.password_reset": ("パスワード再発行", "Password reset"),
    "audit.account_disabled": ("アカウント無効化", "Account disabled"),
    "audit.account_enabled": ("アカウント再有効化", "Account enabled"),
    "audit.token_issued": ("APIトークン発行", "API token issued"),
    "audit.token_revoked": ("APIトークン失効", "API token revoked"),
    "audit.subscription_added": ("通知設定の追加", "Subscription added"),
    "audit.subscription_removed": ("通知設定の削除", "Subscription removed"),
    "audit.capacity.reported": ("病床数の報告", "Bed counts reported"),
    "audit.facility.registered": ("施設の登録", "Facility registered"),
    "audit.placement.requested": ("受入依頼の送信", "Placement requested"),
    "audit.placement.responded": ("受入依頼への回答", "Placement answered"),
    "audit.placement.closed": ("入院調整の完了", "Placement closed"),
    "audit.notice.posted": ("お知らせの掲示", "Notice posted"),
    "audit.notice.withdrawn": ("お知らせの取り下げ", "Notice withdrawn"),
    "audit.alert.raised": ("アラート発生", "Alert raised"),
    "audit.alert.cleared": ("アラート解除", "Alert cleared"),
    "audit.case.registered": ("入院待機者の登録", "Case added to the waiting list"),
    "audit.case.withdrawn": ("入院待機者の取り下げ", "Case withdrawn"),
    "audit.placement.transport": ("搬送の記録", "Transport step"),
    "audit.placement.lapsed": ("入院調整の期限切れ", "Placement lapsed"),
    "audit.step_down.reported": ("後方支援の報告", "Step-down reported"),
}

NOTIFY: dict[str, tuple[str, str]] = {
    "subs.lead": (
        "受入依頼・回答・期限切れ・病床アラートなどを、Slack/Teams の Webhook やメールで"
        "受け取れます。施設・病床種別・地区で絞り込めます（空欄はすべて）。",
        "Hear of requests, answers, lapses and alerts by a Slack or Teams webhook or by e-mail, "
        "narrowed by facility, bed type and district (empty: all).",
    ),
    "subs.for_whom": ("対象のユーザー", "For whom"),
    "subs.none": ("通知設定はまだありません", "No subscriptions yet"),
    "subs.add": ("通知を追加", "Add a subscription"),
    "subs.channel": ("通知方法", "Channel"),
    "subs.channel.webhook": ("Webhook (Slack/Teams)", "Webhook (Slack/Teams)"),
    "subs.channel.email": ("メール", "E-mail"),
    "subs.target": ("送信先（Webhook URL またはメールアドレス）", "Webhook URL or e-mail address"),
    "subs.kinds": ("通知の種類", "Kinds"),
    "subs.facilities": ("施設で絞り込み", "Only these facilities"),
    "subs.bed_types": ("病床種別で絞り込み", "Only these bed types"),
    "subs.districts": ("地区で絞り込み", "Only these districts"),
    "subs.any": ("絞り込みなし", "any"),
    "subs.lang": ("通知の言語", "Language of the messages"),
    "subs.save": ("追加する", "Add"),
    "subs.saved": ("通知設定を追加しました", "Subscription added"),
    "subs.remove": ("削除", "Remove"),
    "subs.removed": ("通知設定を削除しました", "Subscription removed"),
    "subs.failures": ("通知の送信失敗", "Failed notifications"),
    "subs.no_failures": ("送信に失敗した通知はありません", "No notification has failed"),
    "subs.retrying": ("再送中", "Retrying"),
    "subs.failed": ("送信失敗", "Failed"),
    "subs.attempts": ("試行回数", "Attempts"),
    "subs.error": ("エラー", "Error"),
}

# The reporting rhythm: each facility's cadence, and who is overdue (EMResource's forced update).
RHYTHM: dict[str, tuple[str, str]] = {
    "rhythm.every": ("{n}時間ごと", "every {n} hours"),
    "rhythm.daily": ("毎日 {time} まで", "daily by {time}"),
    "rhythm.none": ("定めなし", "none set"),
    "rhythm.overdue_title": ("報告期限切れ（{n}施設）", "Reports overdue ({n} facilities)"),
    "rhythm.overdue_line": (
        "{facility} · {cadence} · 期限 {due}（{ago}）",
        "{facility} · {cadence} · due {due} ({ago})",
    ),
    "rhythm.banner": (
        "{facility}の報告期限を過ぎています（{cadence}、期限 {due}・{ago}）。"
        "いまの数を確かめて送信してください。",
        "The report for {facility} is overdue ({cadence}, due {due}, {ago}). "
        "Please check the numbers and send them.",
    ),
    "col.cadence": ("報告の間隔", "Reporting cadence"),
    "registry.reporting": (
        "報告の間隔（どちらか一方。期限を過ぎると状況ページに表示され、担当者は報告画面から始まります）",
        "Reporting cadence (one of the two; once overdue, the overview names the facility and "
        "its staff start on the report form)",
    ),
    "registry.every_hours": ("何時間ごと", "Every … hours"),
    "registry.daily_by": ("毎日この時刻まで（HH:MM、日本時間）", "Daily by (HH:MM, Japan time)"),
}

TEXT: dict[str, tuple[str, str]] = {
    **APP,
    **RHYTHM,
    **RETURNS,
    **OVERVIEW,
    **BOARD,
    **FACILITY,
    **MAP_AND_TRENDS,
    **FIND,
    **SIGN_IN,
    **ADMIN,
    **SENDING,
    **REPORT,
    **PLACEMENTS,
    **WAITING,
    **NOTICES,
    **EXPORT,
    **NOTIFY,
}


def lang() -> str:
    """The language of the current session: the switch's value, else BEDBOARD_LANG."""
    try:
        chosen = st.session_state.get("lang")
    except Exception:  # noqa: BLE001  (no Streamlit session: plain Python, e.g. unit tests)
        chosen = None
    return chosen if chosen in LANGS else _default_lang()


def _default_lang() -> str:
    from dashboard.data import settings  # late: data is heavier than these words

    return settings().lang


def known(key: str) -> bool:
    """Whether `t(key)` has a text: the dashboard's own, or a glossary word."""
    return key in TEXT or key in glossary.WORDS


def t(key: str, lang_: str | None = None, **values: object) -> str:
    """The text for key (the dashboard's, else the glossary's) in a language, {values} filled."""
    chosen = lang_ or lang()
    ja, en = TEXT[key] if key in TEXT else glossary.WORDS[key]
    text = en if chosen == "en" else ja
    if chosen == "en" and values.get("n") in (1, "1") and key in ENGLISH_SINGULAR:
        text = ENGLISH_SINGULAR[key]
    return text.format(**values) if values else text


def bed_label(code: str, lang_: str | None = None) -> str:
    """A bed type's display name (表示名) in the session's language; an unknown code as it is."""
    return glossary.bed_type(code, lang_ or lang())


def term(kind: str, code: str | None, lang_: str | None = None) -> str:
    """A glossary word of one kind in the session's language; None reads "not reported"."""
    return glossary.term(kind, code, lang_ or lang())
