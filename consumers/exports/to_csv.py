"""CSV: UTF-8 with a BOM so that Excel in Japan opens it correctly, a header, rows only."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from consumers.exports.formulas import neutralized
from consumers.exports.snapshot import COLUMNS, Snapshot

BOM = "\ufeff"
MIME = "text/csv"


def render(snapshot: Snapshot) -> bytes:
    """The snapshot rows as CSV bytes."""
    return table_csv(COLUMNS, snapshot.rows)


def table_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """Any rows as BOM-prefixed UTF-8 CSV; empty values as empty cells."""
    out = io.StringIO(newline="")
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row[name]) for name in columns])
    return out.getvalue().encode("utf-8")


def cell(value: Any) -> str:
    """One value as CSV text: booleans as true/false, numbers as written in JSON, text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return neutralized(value)
    return str(value)
