"""The codes Bedboard shares with FHIR (SANER) and EDXL-HAVE, for export and import alike."""

from __future__ import annotations

from schemas.glossary import BED_TYPE_NAMES

# --- FHIR R4, SANER-style bed MeasureReports ------------------------------------------------
FACILITY_SYSTEM = "urn:bedboard:facility-id"
BED_TYPE_SYSTEM = "urn:bedboard:bed-type"  # the contract's bed type codes, one stratum each
MEASURE = "urn:bedboard:Measure:bed-capacity-v1"
GROUP_SYSTEM = "http://hl7.org/fhir/uv/saner/CodeSystem/MeasureGroupSystem"
MEASURED_VALUES = "http://hl7.org/fhir/uv/saner/CodeSystem/MeasuredValues"

ICU = ("adult_icu", "pediatric_icu", "neonatal_icu")
# Operating rooms are not beds a patient is placed in, so they are left out of the totals.
NOT_BEDS = ("operating_rooms",)
# (code, display) of usable, occupied and available beds: all beds, then ICU beds.
POPULATIONS = (
    ("numTotBeds", "All Hospital Beds"),
    ("numTotBedsOcc", "Hospital Beds Occupied"),
    ("numTotBedsAvail", "Hospital Beds Available"),
)
ICU_POPULATIONS = (
    ("numICUBeds", "ICU Beds"),
    ("numICUBedsOcc", "ICU Bed Occupancy"),
    ("numICUBedsAvail", "ICU Bed Availability"),
)
# A report with SANER's totals only (no stratum per bed type) is read as these bed types.
TOTALS_ICU_AS = "adult_icu"
TOTALS_REST_AS = "medical_surgical"

# --- EDXL-HAVE 1.0 ------------------------------------------------------------------------
HAVE = "urn:oasis:names:tc:emergency:EDXL:HAVE:1.0"
XNL = "urn:oasis:names:tc:ciq:xnl:3"
# Our bed type codes -> the HAvBED2 / HAVE names of the contract's table. HCU has no HAVE
# name, so HCU lines are left out of this format (they are in every other one).
HAVE_BED_TYPES: dict[str, str] = {
    code: names.havbed2 for code, names in BED_TYPE_NAMES.items() if names.havbed2
}
EMS_TRAFFIC = {"normal": "Normal", "advisory": "Advisory", "closed": "Closed"}
