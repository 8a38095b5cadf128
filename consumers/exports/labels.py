"""What people read for codes: bed types and columns in Japanese and English."""

from __future__ import annotations

from schemas.bed_types import BED_TYPE_NAMES

# Bed type code -> (Japanese, English), from the contract's bed type table.
BED_TYPES: dict[str, tuple[str, str]] = {c: (n.ja, n.en) for c, n in BED_TYPE_NAMES.items()}

# Column -> (Japanese, English), for the snapshot, the range report and their "about" sheets.
COLUMNS: dict[str, tuple[str, str]] = {
    "facility_id": ("施設ID", "Facility ID"),
    "facility_name": ("施設名", "Facility name"),
    "district": ("地区", "District"),
    "bed_type": ("病床種別", "Bed type"),
    "usable": ("即応病床数", "Usable beds"),
    "occupied": ("使用中", "Occupied"),
    "available": ("空床", "Available"),
    "occupancy_rate": ("病床使用率", "Occupancy rate"),
    "accepting": ("新規受入", "Accepting admissions"),
    "ed_status": ("救急搬送受入", "Ambulance arrivals"),
    "reported_at": ("報告時刻", "Reported at"),
    "stale": ("報告が古い", "Stale"),
    "date": ("日付", "Date"),
}

METADATA: dict[str, tuple[str, str]] = {
    "as_of": ("基準時刻（この時点の状態）", "State as of"),
    "known_at": ("確定時刻（この時刻までに届いた報告）", "Reports received by"),
    "generated_at": ("作成時刻", "Generated at"),
    "timezone": ("タイムゾーン", "Time zone"),
    "events": ("対象の報告件数", "Capacity reports covered"),
    "sha256": ("行データのSHA-256", "SHA-256 of the rows"),
    "from": ("開始日", "First day"),
    "to": ("終了日", "Last day"),
    "cutoff": ("締め時刻", "Daily cutoff"),
}


def bed_type(code: str, lang: str) -> str:
    """The display name of a bed type code; an unknown code is shown as it is."""
    names = BED_TYPES.get(code)
    return code if names is None else names[0 if lang == "ja" else 1]


def column(name: str, lang: str) -> str:
    names = COLUMNS.get(name) or METADATA.get(name)
    return name if names is None else names[0 if lang == "ja" else 1]
