"""The project's contract page says what the models do: its bed type table is theirs."""

from __future__ import annotations

import re
from pathlib import Path

from schemas.events import BED_TYPES
from schemas.events_v2 import BED_TYPES_V2
from schemas.glossary import BED_TYPE_NAMES

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "contract" / "events-v1.md"
CONTRACT_V2 = CONTRACT.with_name("events-v2.md")


def bed_type_rows(page: Path = CONTRACT) -> dict[str, tuple[str | None, str, str]]:
    rows = {}
    for line in page.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"`[a-z_]+`", cells[0]):
            havbed = None if cells[1] == "—" else cells[1]
            rows[cells[0].strip("`")] = (havbed, cells[2], cells[3])
    return rows


def test_the_contract_lists_every_bed_type_the_models_accept_in_their_order() -> None:
    assert list(bed_type_rows()) == list(BED_TYPES)


def test_the_contract_names_each_bed_type_as_the_glossary_does() -> None:
    both = bed_type_rows() | bed_type_rows(CONTRACT_V2)
    assert both == {
        code: (names.havbed2, names.ja, names.en) for code, names in BED_TYPE_NAMES.items()
    }


def test_v2_lists_exactly_the_bed_types_it_adds() -> None:
    assert list(bed_type_rows(CONTRACT_V2)) == [t for t in BED_TYPES_V2 if t not in BED_TYPES]
