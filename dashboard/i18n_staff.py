"""The words of the sign-in, report, upload, inbox, placement and notice pages, in ja and en."""

from __future__ import annotations

from dashboard import i18n

TEXT: dict[str, tuple[str, str]] = {
    # sign-in
    "auth.title": ("Bedboard ログイン", "Sign in to Bedboard"),
    "auth.lead": (
        "八王子市 病床情報共有システム。病院・保健所・市役所の職員用です。",
        "Hachioji shared bed status, for hospital, health-centre and city-hall staff.",
    ),
    "auth.username": ("ユーザー名", "Username"),
    "auth.password": ("パスワード", "Password"),
    "auth.submit": ("ログイン", "Sign in"),
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
    "auth.no_accounts": (
        "アカウントがまだありません。管理者が `bedboard users add` で作成します。",
        "There are no accounts yet. An administrator creates them with `bedboard users add`.",
    ),
    "auth.signed_in": ("{user}（{role}）", "{user} ({role})"),
    "auth.facilities": ("担当: {facilities}", "For: {facilities}"),
    "auth.logout": ("ログアウト", "Sign out"),
    "role.hospital_staff": ("病院スタッフ", "Hospital staff"),
    "role.coordinator": ("保健所 調整担当", "Health-centre coordinator"),
    "role.official": ("市役所 職員", "City-hall official"),
    "role.admin": ("管理者", "Administrator"),
    # page names
    "page.login": ("ログイン", "Sign in"),
    "page.report": ("病床報告", "Bed report"),
    "page.upload": ("CSV一括報告", "CSV upload"),
    "page.inbox": ("受入依頼", "Placement inbox"),
    "page.placements": ("入院調整", "Placements"),
    "page.notices": ("お知らせ", "Notices"),
    "page.export": ("データ出力", "Data export"),
    "nav.hospital": ("病院", "Hospital"),
    # sending
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
    # report form
    "report.title": ("病床報告", "Bed report"),
    "report.facility": ("施設", "Facility"),
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
    "report.last_note": ("メモ", "Note"),
    # CSV upload
    "upload.title": ("CSV一括報告", "CSV upload"),
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
    # placements
    "placement.age_band": ("年代", "Age band"),
    "placement.severity": ("重症度", "Severity"),
    "placement.needs": ("必要な対応", "Needs"),
    "placement.bed_type": ("希望病床", "Bed type"),
    "placement.note": ("補足（任意）", "Note (optional)"),
    "placement.facility": ("依頼先", "Facility"),
    "placement.requested_by": ("依頼者", "Requested by"),
    "placement.requested_at": ("依頼時刻", "Requested"),
    "placement.updated_at": ("更新", "Updated"),
    "placement.status": ("状況", "Status"),
    "placement.reason": ("理由", "Reason"),
    "placement.patient": ("{age}・{severity}", "{age}, {severity}"),
    "placement.none_needs": ("特になし", "none"),
    "status.requested": ("回答待ち", "Waiting for an answer"),
    "status.accepted": ("受入可", "Accepted"),
    "status.declined": ("お断り", "Declined"),
    "status.admitted": ("入院済み", "Admitted"),
    "status.cancelled": ("取り消し", "Cancelled"),
    "status.expired": ("期限切れ", "Expired"),
    "request.title": ("受入依頼を送る", "Send a placement request"),
    "request.to": ("{facility}・{bed}", "{facility}, {bed}"),
    "request.send": ("依頼を送信", "Send request"),
    "request.sent": (
        "依頼を送りました。回答は「入院調整」ページにリアルタイムで表示されます。",
        "Request sent. The answer appears live on the Placements page.",
    ),
    "inbox.title": ("受入依頼", "Placement requests"),
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
    "placements.title": ("入院調整", "Placements"),
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
    "placements.close_as": ("終了にする", "Close as"),
    "placements.close": ("終了にする", "Close"),
    "outcome.admitted": ("入院済み", "Admitted"),
    "outcome.cancelled": ("取り消し", "Cancelled"),
    "outcome.expired": ("期限切れ", "Expired"),
    "history.placement.requested": ("依頼", "Requested"),
    "history.placement.responded": ("回答", "Answered"),
    "history.placement.closed": ("終了", "Closed"),
    # notices
    "notices.title": ("お知らせ", "Notices"),
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
    "notices.expired": ("期限切れ", "Expired"),
    "notices.withdrawn": ("取り下げ済み", "Withdrawn"),
    "notices.meta": ("{time} 掲載 · {by}", "posted {time} · {by}"),
    "notices.until": ("{time} まで", "until {time}"),
    "severity.info": ("お知らせ", "Info"),
    "severity.warning": ("注意", "Warning"),
    "severity.critical": ("緊急", "Critical"),
    # form fields as people name them, for problems
    "field.usable": ("即応病床", "usable"),
    "field.occupied": ("使用中", "occupied"),
    "field.note": ("メモ", "note"),
    "field.reason": ("理由", "reason"),
    "field.title": ("件名", "title"),
    "field.body": ("本文", "body"),
    "field.expires_at": ("掲載期限", "end"),
    "field.facility_id": ("施設", "facility"),
}


def t(key: str, lang_: str | None = None, **values: object) -> str:
    """A text of these pages (else of the shared dictionary) in the session's language."""
    if key not in TEXT:
        return i18n.t(key, lang_, **values)
    ja, en = TEXT[key]
    text = en if (lang_ or i18n.lang()) == "en" else ja
    return text.format(**values) if values else text
