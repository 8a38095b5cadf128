"""The contract's bed type table: each code's HAvBED2 / EDXL-HAVE name and its display names."""

from __future__ import annotations

from typing import NamedTuple


class BedTypeNames(NamedTuple):
    havbed2: str | None  # None: the type has no HAvBED2 / HAVE counterpart (HCU)
    ja: str
    en: str


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
}


def bed_type_label(code: str, lang: str = "ja") -> str:
    """The display name of a bed type code (the code itself for an unknown one)."""
    names = BED_TYPE_NAMES.get(code)
    return code if names is None else (names.ja if lang == "ja" else names.en)
