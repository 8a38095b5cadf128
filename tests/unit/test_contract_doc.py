"""The project's contract page says what the models do: its bed type table is theirs."""

from __future__ import annotations

import re
from pathlib import Path

from schemas.events import BED_TYPES
from schemas.glossary import BED_TYPE_NAMES

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "contract" / "events-v1.md"


def bed_type_rows() -> dict[str, tuple[str | None, str, str]]:
    rows = {}
    for line in CONTRACT.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"`[a-z_]+`", cells[0]):
            havbed = None if cells[1] == "—" else cells[1]
            rows[cells[0].strip("`")] = (havbed, cells[2], cells[3])
    return rows


def test_the_contract_lists_every_bed_type_the_models_accept_in_their_order() -> None:
    assert list(bed_type_rows()) == list(BED_TYPES)


def test_the_contract_names_each_bed_type_as_the_glossary_does() -> None:
    assert bed_type_rows() == {
        code: (names.havbed2, names.ja, names.en) for code, names in BED_TYPE_NAMES.items()
    }
