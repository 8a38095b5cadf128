"""The one CSV reader of uploads and the registry: encoding, limits, header and cell checks."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from schemas.problems import Problem

# What Excel saves: UTF-8 (with a BOM when asked) or, in Japan, Shift_JIS as Windows extends it.
ENCODINGS = ("utf-8-sig", "cp932")

# Rules of a CSV file itself: (Japanese, English).
MESSAGES: dict[str, tuple[str, str]] = {
    "bad_encoding": (
        "文字コードを読めません（UTF-8 または Shift_JIS で保存してください）",
        "cannot be decoded: save it as UTF-8 (or Shift_JIS)",
    ),
    "empty_file": ("見出し行がありません", "has no header row"),
    "file_too_large": (
        "ファイルが大きすぎます（{kib} KiB まで）",
        "is too large (at most {kib} KiB)",
    ),
    "too_many_rows": ("{rows}行までにしてください", "must have at most {rows} rows"),
    "missing_columns": ("必須の列がありません: {columns}", "missing required column(s): {columns}"),
    "unknown_columns": (
        "使えない列です: {columns}（使える列: {allowed}）",
        "unknown column(s): {columns} (allowed: {allowed})",
    ),
    "too_many_cells": (
        "見出しより列が多くなっています（{found}列、見出しは{expected}列）",
        "has {found} cells but the header only {expected}",
    ),
    "cell_too_large": (
        "セルが大きすぎます（{most}文字まで）",
        "the cell is too large (at most {most} characters)",
    ),
    "unreadable_row": ("CSV として読めません（{detail}）", "cannot be read as CSV ({detail})"),
}


@dataclass(frozen=True)
class CsvProblem:
    """One problem of a CSV file: the row as a spreadsheet numbers it (header = 1; 0 = the whole
    file), the column, and the rule."""

    row: int
    column: str
    rule: str
    context: tuple[tuple[str, Any], ...] = ()


@dataclass
class CsvTable:
    """The data rows of a CSV by spreadsheet row number, cells stripped, with the problems found."""

    header: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    problems: list[CsvProblem] = field(default_factory=list)


def read_csv(
    data: bytes | str,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
    max_bytes: int | None = None,
    max_rows: int | None = None,
    also: re.Pattern[str] | None = None,
) -> CsvTable:
    """Decode, check the header, and split every non-blank row into cells named by the header.

    A problem of the whole file or the header comes alone, with no rows; a row with a problem is
    left out of `rows`. Header names are compared as typed in any width or case (NFKC, lower);
    `also` matches further optional names that a list cannot hold (one per phase and bed type).
    """
    if max_bytes is not None and len(data) > max_bytes:
        return CsvTable(
            [], problems=[CsvProblem(0, "", "file_too_large", (("kib", max_bytes // 1024),))]
        )
    text = decode(data) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    if text is None:
        return CsvTable([], problems=[CsvProblem(0, "", "bad_encoding")])
    lines = _Lines(text)
    reader = csv.reader(lines)
    try:
        header = [unicodedata.normalize("NFKC", name).strip().lower() for name in next(reader, [])]
    except csv.Error as error:
        return CsvTable([], problems=[_unreadable(1, [], lines.record, error)])
    if not any(header):
        return CsvTable([], problems=[CsvProblem(1, "", "empty_file")])
    table = CsvTable(header, problems=_check_header(header, required, optional, also))
    if table.problems:
        return table
    number = 1
    while True:
        number += 1
        lines.record.clear()
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            # The rest of the file cannot be split reliably once a record is broken.
            table.problems.append(_unreadable(number, header, lines.record, error))
            break
        if not any(cell.strip() for cell in cells):
            continue
        if max_rows is not None and len(table.rows) >= max_rows:
            table.problems.append(CsvProblem(number, "", "too_many_rows", (("rows", max_rows),)))
            break
        if len(cells) > len(header):
            context = (("found", len(cells)), ("expected", len(header)))
            table.problems.append(CsvProblem(number, "", "too_many_cells", context))
            continue
        cells += [""] * (len(header) - len(cells))  # trailing empty cells are often left out
        table.rows.append((number, {n: c.strip() for n, c in zip(header, cells, strict=True)}))
    return table


def decode(data: bytes) -> str | None:
    """The text of a file in one of ENCODINGS (without a BOM), or None."""
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def message(
    rule: str, context: tuple[tuple[str, Any], ...], lang: str, *tables: dict[str, tuple[str, str]]
) -> str:
    """A rule as a sentence: from the given tables first, then the CSV's, then the schema's."""
    for table in (*tables, MESSAGES):
        if rule in table:
            ja, en = table[rule]
            return (ja if lang == "ja" else en).format(**dict(context))
    return Problem("", rule, context).message(lang)


def _check_header(
    header: list[str],
    required: Sequence[str],
    optional: Sequence[str],
    also: re.Pattern[str] | None = None,
) -> list[CsvProblem]:
    missing = [name for name in required if name not in header]
    unknown = [
        name
        for name in header
        if name not in required
        and name not in optional
        and not (also is not None and also.fullmatch(name))
    ]
    problems = []
    if missing:
        problems.append(CsvProblem(1, "", "missing_columns", (("columns", ", ".join(missing)),)))
    if unknown:
        allowed = ", ".join((*required, *optional))
        context = (("columns", ", ".join(unknown)), ("allowed", allowed))
        problems.append(CsvProblem(1, "", "unknown_columns", context))
    return problems


class _Lines:
    """The file's lines, keeping those of the record being read, to find a broken cell in."""

    def __init__(self, text: str) -> None:
        self._lines = io.StringIO(text, newline="")
        self.record: list[str] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.record.append(line)
        return line


def _unreadable(number: int, header: list[str], record: list[str], error: csv.Error) -> CsvProblem:
    most = csv.field_size_limit()  # read, never changed: the limit is the whole process's
    if "field larger than field limit" not in str(error):
        return CsvProblem(number, "", "unreadable_row", (("detail", str(error)),))
    index = _oversized_cell("".join(record), most)
    column = header[index] if index < len(header) else ""
    return CsvProblem(number, column, "cell_too_large", (("most", most),))


def _oversized_cell(text: str, most: int) -> int:
    """The position of the first cell longer than `most` in a record's text, quotes understood."""
    index = length = 0
    quoted = False
    position = 0
    while position < len(text):
        char = text[position]
        if quoted:
            if char == '"' and text[position + 1 : position + 2] == '"':
                position += 1
                length += 1
            elif char == '"':
                quoted = False
            else:
                length += 1
        elif char == '"':
            quoted = True
        elif char == ",":
            index, length = index + 1, 0
        elif char not in "\r\n":
            length += 1
        if length > most:
            return index
        position += 1
    return index
