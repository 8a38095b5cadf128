"""Excel: sheet `snapshot` with the rows, sheet `about` with the metadata and a glossary."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from consumers.exports.formulas import is_formula_like
from consumers.exports.snapshot import COLUMNS, Snapshot
from schemas import glossary

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERCENT = "0.00%"
# Japanese names and zoned times need more room than their column names suggest.
WIDTHS = {"facility_name": 30, "district": 16, "reported_at": 28}


def render(snapshot: Snapshot) -> bytes:
    """The snapshot as an .xlsx workbook."""
    return workbook(COLUMNS, snapshot.rows, "snapshot", snapshot.metadata(), snapshot.generated_at)


def workbook(
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    title: str,
    metadata: Mapping[str, Any],
    generated_at: datetime,
    *,
    percent: Sequence[str] = ("occupancy_rate",),
) -> bytes:
    """A data sheet and an `about` sheet; counts stay numbers and rates stay fractions."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(list(columns))
    for row in rows:
        sheet.append([row[name] for name in columns])
        _as_text(sheet[sheet.max_row])
    _style(sheet, columns, percent)
    about = book.create_sheet("about")
    about.append(["key", "value", "説明", "description"])
    for key, value in metadata.items():
        about.append([key, value, glossary.column(key, "ja"), glossary.column(key, "en")])
    about.append([])
    about.append(["column", "", "説明", "description"])
    for name in columns:
        about.append([name, "", glossary.column(name, "ja"), glossary.column(name, "en")])
    _widths(about, (16, 70, 36, 28))
    for cell in about[1]:
        cell.font = Font(bold=True)
    # A fixed creation time keeps the file's own properties reproducible.
    stamp = generated_at.astimezone(UTC).replace(tzinfo=None)
    book.properties.created = book.properties.modified = stamp
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _as_text(cells: Iterable[Any]) -> None:
    # openpyxl stores text beginning with "=" as a formula; the quote prefix keeps Excel from
    # reading any of the triggers as one when a person edits the cell.
    for cell in cells:
        if is_formula_like(cell.value):
            cell.data_type = "s"
            cell.quotePrefix = True


def _style(sheet: Any, columns: Sequence[str], percent: Sequence[str]) -> None:
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for name in percent:
        if name not in columns:
            continue
        letter = get_column_letter(columns.index(name) + 1)
        for cell in sheet[letter][1:]:
            cell.number_format = PERCENT
    _widths(sheet, [WIDTHS.get(name, max(12, len(name) + 2)) for name in columns])


def _widths(sheet: Any, widths: Iterable[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
