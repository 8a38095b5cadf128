"""The domain's words in Japanese and English, each once: the screen, exports and CLI share them."""

from __future__ import annotations

from typing import NamedTuple

LANGS = ("ja", "en")


class BedTypeNames(NamedTuple):
    havbed2: str | None  # None: the type has no HAvBED2 / EDXL-HAVE counterpart (HCU)
    ja: str
    en: str


# The contract's bed type table, in its order: code -> HAvBED2 name and display names (表示名).
BED_TYPE_NAMES: dict[str, BedTypeNames] = {
    "adult_icu": BedTypeNames("AdultICU", "成人ICU", "Adult ICU"),
    "pediatric_icu": BedTypeNames("PediatricICU", "小児ICU (PICU)", "Pediatric ICU (PICU)"),
    "neonatal_icu": BedTypeNames("NeonatalICU", "新生児ICU (NICU)", "Neonatal ICU (NICU)"),
    "hcu": BedTypeNames(None, "高度治療室 (HCU)", "High care unit (HCU)"),
    "emergency": BedTypeNames("ED", "救急", "Emergency"),
    "medical_surgical": BedTypeNames("MedicalSurgical", "一般 (内科・外科)", "Medical/surgical"),
    "rehab_long_term": BedTypeNames("RehabLongTermCare", "回復期・療養", "Rehab/long-term care"),
    "pediatrics": BedTypeNames("Pediatrics", "小児科", "Pediatrics"),
    "psychiatric": BedTypeNames("Psychiatric", "精神科", "Psychiatric"),
    "burn": BedTypeNames("Burn", "熱傷", "Burn"),
    "nursery": BedTypeNames("NurseryBeds", "新生児室", "Nursery"),
    "operating_rooms": BedTypeNames("OperatingRooms", "手術室", "Operating rooms"),
    "negative_flow_isolation": BedTypeNames(
        "NegativeFlowIsolation", "陰圧隔離", "Negative-pressure isolation"
    ),
    "other_isolation": BedTypeNames("OtherIsolation", "その他隔離", "Other isolation"),
    # Contract v2: rooms of accommodation for recovering patients, counted apart from beds.
    "accommodation_room": BedTypeNames(None, "宿泊療養 居室", "Accommodation room"),
}

# "kind.code" -> (Japanese, English). A Japanese word stands under one key only (a unit test
# holds this), so one thing is never called two names, nor two things one name.
WORDS: dict[str, tuple[str, str]] = {
    **{f"bed_type.{code}": (names.ja, names.en) for code, names in BED_TYPE_NAMES.items()},
    # A facility's admissions and ambulance statuses; "unreported" stands for either one unknown.
    "accepting.open": ("受入可", "Open"),
    "accepting.limited": ("制限あり", "Limited"),
    "accepting.closed": ("受入停止", "Closed"),
    "ed_status.normal": ("通常", "Normal"),
    "ed_status.advisory": ("要相談", "Advisory"),
    "ed_status.closed": ("停止", "Closed"),
    "unreported": ("未報告", "Not reported"),
    # How full a (facility, bed type) line is.
    "level.room": ("空きあり", "Room"),
    "level.nearly": ("残りわずか", "Nearly full"),
    "level.full": ("満床", "Full"),
    "level.over": ("超過", "Over capacity"),
    "level.none": ("病床なし", "No beds"),
    # What a facility is (the registry's kind).
    # ("hospital" is the word of "category.hospital", the returns' category of the same name)
    "facility_kind.clinic": ("診療所", "Clinic"),
    "facility_kind.health_centre": ("保健所", "Health centre"),
    "facility_kind.temporary_facility": ("臨時医療施設", "Temporary facility"),
    # Who someone is.
    "role.hospital_staff": ("病院スタッフ", "Hospital staff"),
    "role.coordinator": ("保健所 調整担当", "Health-centre coordinator"),
    "role.official": ("市役所 職員", "City-hall official"),
    "role.admin": ("管理者", "Administrator"),
    # A placement's status: requested, then a decision (accepted/declined), then an outcome.
    "placement.requested": ("回答待ち", "Waiting for an answer"),
    "placement.accepted": ("受入承諾", "Accepted"),
    "placement.declined": ("お断り", "Declined"),
    "placement.admitted": ("入院済み", "Admitted"),
    "placement.cancelled": ("取り消し", "Cancelled"),
    "placement.expired": ("期限切れ", "Expired"),
    # An alert's kind: the board, the overview and the notifications name it so.
    "alert.over_capacity": ("病床超過", "Over capacity"),
    "alert.stale_report": ("報告の更新遅れ", "Stale report"),
    "alert.not_accepting": ("受入停止中", "Not accepting"),
    "alert.occupancy_high": ("病床使用率が高い", "High occupancy rate"),
    # What a notification is about (consumers/notify_rules.KINDS).
    "notify.request": ("新しい受入依頼", "New placement request"),
    "notify.answer": ("受入依頼に回答あり", "A placement request was answered"),
    "notify.lapse": ("受入依頼の期限切れ", "Placement request lapsed"),
    "notify.capacity": ("病床アラート", "Capacity alert"),
    "notify.stale": ("報告が遅れている施設", "Stale facility"),
    # The waiting list (contract v2): where a case stands, where the person waits, why a case
    # left the list, the transport steps, a bed hold (仮押さえ, not 確保病床) and the lapses.
    "case_status.waiting": ("待機中", "Waiting"),
    "case_status.requested": ("依頼中", "Request sent"),
    "case_status.withdrawn": ("取り下げ", "Withdrawn"),
    "transport.arranged": ("搬送手配済", "Transport arranged"),
    "transport.in_transit": ("搬送中", "In transit"),
    "waiting_at.home": ("自宅", "Home"),
    "waiting_at.hotel": ("ホテル（宿泊療養）", "Hotel"),
    "waiting_at.ambulance": ("救急車内", "In an ambulance"),
    "waiting_at.clinic": ("外来・診療所で待機", "At a clinic"),
    "waiting_at.hospital": ("入院中（後方支援の転院）", "In hospital (step-down transfer)"),
    "withdraw_reason.admitted_elsewhere": ("他の経路で入院", "Admitted elsewhere"),
    "withdraw_reason.recovered": ("回復", "Recovered"),
    "withdraw_reason.declined_by_patient": ("本人・家族の辞退", "Declined by the patient"),
    "withdraw_reason.moved_away": ("転出", "Moved away"),
    "withdraw_reason.died": ("死亡", "Died"),
    "withdraw_reason.other": ("その他の理由", "Other"),
    "hold.held": ("仮押さえ中", "Bed held"),
    "hold.no_bed": ("仮押さえできる空床なし", "No bed left to hold"),
    "lapse.answer": ("回答期限切れ", "No answer in time"),
    "lapse.hold": ("仮押さえ期限切れ", "Hold lapsed"),
    # The patient of a placement request (never who they are).
    "patient.age_band": ("年代", "Age band"),
    "patient.severity": ("重症度", "Severity"),
    "patient.needs": ("必要な対応", "Needs"),
    "severity.mild": ("軽症", "Mild"),
    "severity.moderate": ("中等症", "Moderate"),
    "severity.severe": ("重症", "Severe"),
    "need.oxygen": ("酸素投与", "Oxygen"),
    "need.ventilator": ("人工呼吸器", "Ventilator"),
    "need.dialysis": ("透析", "Dialysis"),
    "need.isolation": ("隔離", "Isolation"),
    "need.pediatric": ("小児", "Pediatric"),
    "need.maternity": ("妊産婦", "Maternity"),
    "need.psychiatric": ("精神科対応", "Psychiatric"),
    "need.wheelchair": ("車いす", "Wheelchair"),
    # How urgent a notice is.
    "notice_severity.info": ("情報", "Info"),
    "notice_severity.warning": ("注意", "Warning"),
    "notice_severity.critical": ("緊急", "Critical"),
    # The returns' facility categories (contract v2): where a bed or room is counted.
    "category.hospital": ("病院", "Hospital"),
    "category.accommodation": ("宿泊療養施設", "Accommodation for recovering patients"),
    "category.temporary_medical": ("臨時の医療施設", "Temporary medical facility"),
    "category.waiting_station": ("入院待機ステーション", "Waiting station"),
    # Columns of the snapshot and the range report (the screen names them the same way).
    "column.facility_id": ("施設ID", "Facility ID"),
    "column.facility_name": ("施設名", "Facility name"),
    "column.district": ("地区", "District"),
    "column.bed_type": ("病床種別", "Bed type"),
    "column.usable": ("即応病床数", "Usable beds"),
    "column.occupied": ("使用中", "Occupied"),
    "column.available": ("空床", "Available"),
    # The national survey's term (病床使用率), the same on screen and in every export.
    "column.occupancy_rate": ("病床使用率", "Occupancy rate"),
    "column.accepting": ("新規受入", "Accepting admissions"),
    "column.ed_status": ("救急搬送受入", "Ambulance arrivals"),
    "column.reported_at": ("報告時刻", "Reported at"),
    "column.stale": ("報告が古い", "Stale"),
    "column.date": ("日付", "Date"),
    # What an export says about itself (its "about" sheet and metadata).
    "metadata.as_of": ("基準時刻（この時点の状態）", "State as of"),
    "metadata.known_at": ("確定時刻（この時刻までに届いた報告）", "Reports received by"),
    "metadata.generated_at": ("作成時刻", "Generated at"),
    "metadata.timezone": ("タイムゾーン", "Time zone"),
    "metadata.events": ("対象の報告件数", "Capacity reports covered"),
    "metadata.sha256": ("行データのSHA-256", "SHA-256 of the rows"),
    "metadata.from": ("開始日", "First day"),
    "metadata.to": ("終了日", "Last day"),
    "metadata.cutoff": ("締め時刻", "Daily cutoff"),
    "metadata.title": ("名称", "Title"),
    "metadata.layout": ("様式", "Layout"),
    "metadata.phase": ("フェーズ", "Phase"),
    # The meeting summary (page and PDF): what changed since the last meeting.
    "summary.title": ("会議用サマリー", "Meeting summary"),
    "summary.since": ("前回の会議（比較の起点）", "Since (the last meeting)"),
    "summary.period": ("{since} → {known_at}", "{since} → {known_at}"),
    "summary.beds": ("病床種別ごとの変化", "Changes by bed type"),
    "summary.districts": ("地区ごとの変化", "Changes by district"),
    "summary.then": ("前回", "Then"),
    "summary.now": ("今回", "Now"),
    "summary.change": ("増減", "Change"),
    "summary.placements": ("入院調整の件数", "Placements"),
    "summary.requested": ("依頼件数", "Requests sent"),
    "summary.reasons": ("お断りの理由", "Why requests were declined"),
    "summary.reason": ("理由（記入のまま）", "Reason (as written)"),
    "summary.count": ("件数", "Count"),
    "summary.no_reasons": ("お断りはありませんでした", "No request was declined"),
    "summary.waiting": ("入院等調整中の人数の推移", "People waiting for admission over time"),
    "summary.waiting_now": ("入院等調整中", "Waiting for admission"),
    "summary.people": ("人", "people"),
    "waiting_source.district_counts": (
        "保健所の地区別集計（入院等調整中数）より",
        "From the health centre's district counts (awaiting admission)",
    ),
    "waiting_source.cases": ("入院待機者リストの件数より", "From the cases on the waiting list"),
    "summary.not_counted": ("まだ集計がありません", "Not counted yet"),
    "summary.no_district": ("地区の登録なし", "No district registered"),
    "summary.sha256": (
        "内容のSHA-256（同じ確定時刻なら同じ値）",
        "SHA-256 of the content (the same for the same known-at)",
    ),
}
CATEGORIES = ("hospital", "accommodation", "temporary_medical", "waiting_station")

PLACEMENT_DECISIONS = ("accepted", "declined")
PLACEMENT_OUTCOMES = ("admitted", "cancelled", "expired")
NOTICE_SEVERITIES = ("info", "warning", "critical")
PATIENT_SEVERITIES = ("mild", "moderate", "severe")
WAITING_AT = ("home", "hotel", "ambulance", "clinic", "hospital")
WITHDRAW_REASONS = ("admitted_elsewhere", "recovered", "declined_by_patient", "moved_away", "died",
                    "other")  # fmt: skip


def word(key: str, lang: str) -> str:
    """The word under a "kind.code" key in a language (English for "en", else Japanese)."""
    ja, en = WORDS[key]
    return en if lang == "en" else ja


def term(kind: str, code: str | None, lang: str) -> str:
    """A code's word of one kind (accepting, level, role...); None reads "not reported"."""
    if code is None:
        return word("unreported", lang)
    key = f"{kind}.{code}"
    return word(key, lang) if key in WORDS else code


def bed_type(code: str, lang: str) -> str:
    """A bed type's display name (表示名); an unknown code is shown as it is."""
    return term("bed_type", code, lang)


def column(name: str, lang: str) -> str:
    """A snapshot or report column's name, or an export metadata field's, as people read it."""
    for kind in ("column", "metadata"):
        if f"{kind}.{name}" in WORDS:
            return word(f"{kind}.{name}", lang)
    return name


def havbed2(code: str) -> str | None:
    """The HAvBED2 / EDXL-HAVE name of a bed type (None where the contract has none)."""
    names = BED_TYPE_NAMES.get(code)
    return None if names is None else names.havbed2
