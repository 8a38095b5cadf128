"""Every word the dashboard shows, in Japanese and English, and how numbers and times read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from schemas.bed_types import BED_TYPE_NAMES

LANGS = ("ja", "en")
LANG_NAMES = {"ja": "日本語", "en": "English"}
DEFAULT_ZONE = ZoneInfo("Asia/Tokyo")

# Bed type labels follow the contract's 表示名 column.
BED_TYPES: dict[str, tuple[str, str]] = {c: (n.ja, n.en) for c, n in BED_TYPE_NAMES.items()}

TEXT: dict[str, tuple[str, str]] = {
    "app.title": ("Bedboard 病床状況", "Bedboard bed status"),
    "app.language": ("言語", "Language"),
    # pages
    "page.overview": ("状況", "Overview"),
    "page.board": ("病床一覧", "Board"),
    "page.facility": ("施設詳細", "Facility"),
    "page.map": ("地図", "Map"),
    "page.trends": ("推移", "Trends"),
    "page.find": ("空床検索", "Find a bed"),
    "nav.coordination": ("調整", "Coordination"),
    # live header
    "live.badge_on": ("ライブ", "Live"),
    "live.badge_off": ("停止中", "Paused"),
    "live.on": ("最終受信 {ago}", "last event {ago}"),
    "live.no_events": ("まだイベントがありません", "no events yet"),
    "live.connecting": ("ブローカーに接続中…", "Connecting to the broker…"),
    "live.lag": ("取り込み待ち {n} 件", "{n} events waiting to be applied"),
    "live.down": (
        "ブローカーに接続できません。表示中のデータは {ago} のものです（再接続を試みています）。",
        "The broker cannot be reached. The data shown is from {ago} (reconnecting).",
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
    # ages
    "ago.seconds": ("{n}秒前", "{n} s ago"),
    "ago.minutes": ("{n}分前", "{n} min ago"),
    "ago.hours": ("{n}時間前", "{n} h ago"),
    "ago.days": ("{n}日前", "{n} days ago"),
    "ago.never": ("報告なし", "never reported"),
    # levels
    "level.room": ("空きあり", "Room"),
    "level.nearly": ("残りわずか", "Nearly full"),
    "level.full": ("満床", "Full"),
    "level.over": ("超過", "Over capacity"),
    "level.none": ("病床なし", "No beds"),
    "legend": (
        "○ 空きあり　▲ 残りわずか（稼働率90%以上）　● 満床　✖ 超過（使用中 > 即応病床）　"
        "⚠ 更新遅れ",
        "○ room　▲ nearly full (90% or more)　● full　✖ over capacity (occupied > usable)　⚠ stale",
    ),
    # accepting / ED
    "accepting": ("受入", "Admissions"),
    "accepting.open": ("受入可", "Open"),
    "accepting.limited": ("制限あり", "Limited"),
    "accepting.closed": ("受入停止", "Closed"),
    "accepting.unknown": ("未報告", "Not reported"),
    "ed": ("救急車", "Ambulances"),
    "ed.normal": ("通常", "Normal"),
    "ed.advisory": ("要相談", "Advisory"),
    "ed.closed": ("停止", "Closed"),
    "ed.unknown": ("未報告", "Not reported"),
    # columns and units
    "col.facility": ("施設", "Facility"),
    "col.facility_id": ("施設ID", "Facility ID"),
    "col.district": ("地区", "District"),
    "col.bed_type": ("病床種別", "Bed type"),
    "col.usable": ("即応病床", "Usable"),
    "col.occupied": ("使用中", "Occupied"),
    "col.available": ("空床", "Available"),
    "col.occupancy": ("稼働率", "Occupancy"),
    "col.level": ("状況", "Status"),
    "col.updated": ("最終報告", "Last report"),
    "col.total_available": ("空床計", "Total free"),
    "col.distance": ("距離", "Distance"),
    "col.phone": ("電話", "Phone"),
    "col.time": ("報告時刻", "Reported at"),
    "col.received": ("受信時刻", "Received at"),
    "col.sender": ("送信者", "Sent by"),
    "col.beds": ("病床（使用中/即応）", "Beds (occupied/usable)"),
    "col.note": ("メモ", "Note"),
    "col.kind": ("種別", "Kind"),
    "col.detail": ("内容", "Details"),
    "col.since": ("発生", "Since"),
    "col.lines": ("報告済み病床種別", "Bed types reported"),
    "unit.beds": ("{n}床", "{n} beds"),
    "unit.facilities": ("{n}施設", "{n} facilities"),
    "unit.facility": ("{n}施設", "{n} facility"),
    "unit.km": ("{n} km", "{n} km"),
    "dash": ("—", "—"),
    "unregistered": ("未登録", "unregistered"),
    # overview
    "overview.title": ("市内の病床状況", "Beds across the city"),
    "overview.usable": ("即応病床", "Usable beds"),
    "overview.occupied": ("使用中", "Occupied"),
    "overview.available": ("空床", "Available"),
    "overview.occupancy": ("稼働率", "Occupancy"),
    "overview.facilities": ("施設の受入状況", "Facilities"),
    "overview.by_type": ("病床種別ごと", "By bed type"),
    "overview.stale": ("更新遅れ", "Stale"),
    "overview.stale_help": (
        "最終報告から{hours}時間以上たった施設",
        "facilities whose last report is more than {hours} h old",
    ),
    "overview.notices": ("お知らせ", "Notices"),
    "overview.no_notices": ("現在お知らせはありません。", "No current notices."),
    "overview.alerts": ("アラート", "Alerts"),
    "overview.no_alerts": ("アラートはありません。", "No alerts."),
    "overview.alerts_derived": (
        "アラート処理からの通知がないため、病床一覧から算出しています。",
        "Derived from the board: the alert processor has sent none.",
    ),
    "overview.empty": (
        "まだ病床の報告がありません。施設から報告が届くとここに表示されます。",
        "No bed reports yet. They appear here as facilities report.",
    ),
    "notice.expires": ("{time} まで", "until {time}"),
    "notice.posted": ("{time} 掲載 · {by}", "posted {time} · {by}"),
    "alert.over_capacity": ("病床超過", "Over capacity"),
    "alert.stale_report": ("報告の更新遅れ", "Stale report"),
    "alert.not_accepting": ("受入停止", "Not accepting"),
    "alert.occupancy_high": ("稼働率が高い", "High occupancy"),
    "alert.over_detail": (
        "{bed}: 使用中 {occupied} / 即応 {usable}",
        "{bed}: {occupied} occupied of {usable} usable",
    ),
    "alert.stale_detail": ("最終報告 {ago}", "last report {ago}"),
    "alert.occupancy_detail": ("{bed}: 稼働率 {rate}", "{bed}: occupancy {rate}"),
    # board
    "board.title": ("病床一覧", "Bed board"),
    "board.search": ("施設名・IDで検索", "Search by name or ID"),
    "board.districts": ("地区", "Districts"),
    "board.bed_types": ("病床種別", "Bed types"),
    "board.accepting": ("受入状況", "Admissions"),
    "board.sort": ("並べ替え", "Sort by"),
    "sort.available": ("空床の多い順", "Most available first"),
    "sort.occupancy": ("稼働率の低い順", "Lowest occupancy first"),
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
    # facility
    "facility.title": ("施設詳細", "Facility"),
    "facility.choose": ("施設", "Facility"),
    "facility.none": ("施設がまだありません。", "No facilities yet."),
    "facility.unregistered": (
        "この送信元は施設登録がまだありません。",
        "This source has not been registered as a facility yet.",
    ),
    "facility.current": ("現在の病床", "Beds now"),
    "facility.history": ("病床の推移", "Bed history"),
    "facility.range": ("期間", "Range"),
    "facility.reports": ("報告履歴", "Reports"),
    "facility.note": ("最新のメモ", "Latest note"),
    "facility.no_reports": ("まだ報告がありません。", "No reports yet."),
    "facility.licensed": ("許可病床", "Licensed beds"),
    # map
    "map.title": ("地図", "Map"),
    "map.bed_type": ("病床種別", "Bed type"),
    "map.no_location": ("位置情報のない施設", "Facilities without a location"),
    "map.none": ("位置情報のある施設がありません。", "No facility has a location."),
    "map.caption": (
        "背景地図なしで描画しています（外部に接続しません）。灰色の文字は地区です。",
        "Drawn without map tiles (no outside connection). Grey labels are districts.",
    ),
    "map.no_type": ("この病床種別なし", "no beds of this type"),
    # trends
    "trends.title": ("稼働率の推移", "Occupancy over time"),
    "trends.range": ("期間", "Range"),
    "trends.by": ("内訳", "Break down by"),
    "trends.by_bed_type": ("病床種別", "Bed type"),
    "trends.by_district": ("地区", "District"),
    "trends.metric": ("指標", "Measure"),
    "trends.district": ("地区", "District"),
    "trends.bed_type": ("病床種別", "Bed type"),
    "trends.all": ("すべて", "All"),
    "trends.none": ("この期間の報告はありません。", "No reports in this range."),
    "trends.step": ("{step}ごとの状態", "state every {step}"),
    "range.1h": ("1時間", "1 h"),
    "range.6h": ("6時間", "6 h"),
    "range.24h": ("24時間", "24 h"),
    "range.7d": ("7日", "7 days"),
    "range.30d": ("30日", "30 days"),
    "step.1m": ("1分", "1 min"),
    "step.5m": ("5分", "5 min"),
    "step.15m": ("15分", "15 min"),
    "step.1h": ("1時間", "1 h"),
    "step.6h": ("6時間", "6 h"),
    # find a bed
    "find.title": ("空床検索", "Find a bed"),
    "find.severity": ("重症度", "Severity"),
    "severity.mild": ("軽症", "Mild"),
    "severity.moderate": ("中等症", "Moderate"),
    "severity.severe": ("重症", "Severe"),
    "find.needs": ("必要な対応", "Needs"),
    "need.oxygen": ("酸素投与", "Oxygen"),
    "need.ventilator": ("人工呼吸器", "Ventilator"),
    "need.dialysis": ("透析", "Dialysis"),
    "need.isolation": ("隔離", "Isolation"),
    "need.pediatric": ("小児", "Pediatric"),
    "need.maternity": ("妊産婦", "Maternity"),
    "need.psychiatric": ("精神科", "Psychiatric"),
    "need.wheelchair": ("車いす", "Wheelchair"),
    "find.age_band": ("年代", "Age band"),
    "find.bed_type": ("病床種別", "Bed type"),
    "find.auto": ("自動（重症度・必要な対応から）", "Automatic (from severity and needs)"),
    "find.districts": ("地区", "Districts"),
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
    "find.request": ("受入依頼", "Request"),
    "find.request_help": (
        "この施設へ受入依頼を送ります",
        "Send a placement request to this facility",
    ),
    "find.request_pending": (
        "受入依頼の送信は準備中です（{facility}・{bed}）。",
        "Sending placement requests is not available yet ({facility}, {bed}).",
    ),
    "find.more": ("表示件数", "Show"),
}


def lang() -> str:
    """The language of the current session: the switch's value, else BEDBOARD_LANG."""
    try:
        chosen = st.session_state.get("lang")
    except Exception:  # noqa: BLE001  (no Streamlit session: plain Python, e.g. unit tests)
        chosen = None
    return chosen if chosen in LANGS else _default_lang()


def _default_lang() -> str:
    from dashboard.data import settings  # late: data imports this module

    return settings().lang


def t(key: str, lang_: str | None = None, **values: object) -> str:
    """The text for key in the session's language, with {placeholders} filled in."""
    ja, en = TEXT[key]
    text = en if (lang_ or lang()) == "en" else ja
    return text.format(**values) if values else text


def bed_label(code: str, lang_: str | None = None) -> str:
    """A bed type's display name (表示名); an unknown code is shown as it is."""
    ja, en = BED_TYPES.get(code, (code, code))
    return en if (lang_ or lang()) == "en" else ja


def number(value: float | int | None, digits: int = 0) -> str:
    """A number with thousands separators; a dash for nothing."""
    if value is None or value != value:  # None or NaN
        return "—"
    return f"{value:,.{digits}f}"


def percent(rate: float | None) -> str:
    """An occupancy rate as a percentage; a dash when it is undefined (no usable beds)."""
    if rate is None or rate != rate:
        return "—"
    return f"{rate * 100:,.1f}%"


def local_time(moment: datetime | None, zone: ZoneInfo = DEFAULT_ZONE, *, date: bool = True) -> str:
    """A stored (UTC) time in the configured zone, as people read it."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).strftime("%m/%d %H:%M" if date else "%H:%M")


def ago(moment: datetime | None, now: datetime, lang_: str | None = None) -> str:
    """How long ago, in the largest whole unit: 12分前 / 12 min ago."""
    if moment is None:
        return t("ago.never", lang_)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = max(int((now - moment).total_seconds()), 0)
    if seconds < 60:
        return t("ago.seconds", lang_, n=seconds)
    if seconds < 3600:
        return t("ago.minutes", lang_, n=seconds // 60)
    if seconds < 48 * 3600:
        return t("ago.hours", lang_, n=seconds // 3600)
    return t("ago.days", lang_, n=seconds // 86400)


def facilities(n: int) -> str:
    """A count of facilities: 3施設, 1 facility, 3 facilities."""
    return t("unit.facility" if n == 1 else "unit.facilities", n=f"{n:,}")


def step_label(step: timedelta) -> str:
    minutes = int(step.total_seconds() // 60)
    key = {1: "step.1m", 5: "step.5m", 15: "step.15m", 60: "step.1h", 360: "step.6h"}.get(minutes)
    return t(key) if key else f"{minutes} min"
