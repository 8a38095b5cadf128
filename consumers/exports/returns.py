"""Returns and open data from layout files: the state as of a time, grouped, a measure a column."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb

from consumers import city
from consumers.exports import to_csv, to_xlsx
from consumers.exports.measures import MEASURES, Context, Group, ReturnLine
from consumers.exports.snapshot import Row, canonical_json, now, rfc3339
from consumers.queries import state

LAYOUTS = Path(__file__).resolve().parent / "layouts"
GROUP_KEYS = ("district", "category", "bed_type", "facility_id")


@dataclass(frozen=True)
class Column:
    header: str  # the return's own (Japanese) column name: the CSV header
    key: str  # the same in ASCII: the JSON key
    measure: str
    ja: str  # what it means, for the data dictionary
    en: str


@dataclass(frozen=True)
class Layout:
    """A return's shape, read from a TOML file: which rows, which columns, which cutoff."""

    name: str
    title_ja: str
    title_en: str
    follows: str  # the official form it follows, and where it differs (for people)
    cutoff: time | None  # the form's own cutoff, if it has one
    group_by: tuple[str, ...]
    total: bool  # a last row over every group
    total_label: str
    columns: tuple[Column, ...]

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    @property
    def header_of_measure(self) -> dict[str, str]:
        return {c.measure: c.header for c in self.columns}


def load(name: str, folder: Path = LAYOUTS) -> Layout:
    """Read and check a layout file; an unknown measure or key is named in the error."""
    path = folder / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.toml")))
        raise KeyError(f"no layout {name!r}; known layouts: {known}")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    columns = tuple(Column(**c) for c in data["columns"])
    for column in columns:
        if column.measure not in MEASURES:
            raise ValueError(
                f"{path.name}: column {column.header}: unknown measure {column.measure}"
            )
    group_by = tuple(data["group_by"])
    if unknown := set(group_by) - set(GROUP_KEYS):
        raise ValueError(f"{path.name}: group_by: unknown {sorted(unknown)}; use {GROUP_KEYS}")
    cutoff = data.get("cutoff")
    return Layout(
        name=name,
        title_ja=data["title_ja"],
        title_en=data["title_en"],
        follows=data["follows"],
        cutoff=time.fromisoformat(cutoff) if cutoff else None,
        group_by=group_by,
        total=bool(data.get("total", False)),
        total_label=data.get("total_label", "合計"),
        columns=columns,
    )


def layouts(folder: Path = LAYOUTS) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.toml"))


@dataclass(frozen=True)
class Return:
    """One return as of a time, as known at a time: reproducible to the hash like the snapshot."""

    layout: Layout
    as_of: datetime
    known_at: datetime
    generated_at: datetime
    timezone: str
    phase: str | None
    rows: tuple[Row, ...]  # keyed by column key

    @property
    def sha256(self) -> str:
        return hashlib.sha256(canonical_json(self.rows)).hexdigest()

    def metadata(self) -> dict[str, Any]:
        return {
            "layout": self.layout.name,
            "as_of": rfc3339(self.as_of, self.timezone),
            "known_at": rfc3339(self.known_at, self.timezone),
            "generated_at": rfc3339(self.generated_at, self.timezone),
            "timezone": self.timezone,
            "phase": self.phase,
            "sha256": self.sha256,
        }


def lines_as_of(
    cur: duckdb.DuckDBPyConnection,
    as_of: datetime,
    known_at: datetime,
    *,
    severe: frozenset[str],
    phase: str | None,
) -> list[ReturnLine]:
    """Every (facility, bed type) as of T known at K, with category and secured beds resolved."""
    table = state(cur, as_of, known_at, _NO_STALE).select(_STATE_COLUMNS)
    plans: dict[str | None, dict[str, dict[str, int]]] = {}
    out = []
    for row in zip(*(table.column(c).to_pylist() for c in _STATE_COLUMNS), strict=True):
        facility, name, district, kind, bed_type, usable, occupied, secured, oxygen, plan = row
        if plan not in plans:  # one parse per distinct registry entry, not per line
            plans[plan] = city.registry_secured(plan)
        out.append(
            ReturnLine(
                facility,
                name,
                district,
                city.category(kind, bed_type),
                bed_type,
                usable,
                occupied,
                city.secured(secured, plans[plan], phase, bed_type, usable),
                oxygen,
                bed_type in severe,
            )
        )
    return out


_STATE_COLUMNS = [
    "facility_id",
    "facility_name",
    "district",
    "kind",
    "bed_type",
    "usable",
    "occupied",
    "secured",
    "oxygen",
    "secured_beds",
]
_NO_STALE = timedelta(days=36500)  # staleness plays no part in a return


def build(
    cur: duckdb.DuckDBPyConnection,
    layout: Layout,
    *,
    as_of: datetime,
    known_at: datetime,
    timezone: str,
    severe: frozenset[str],
    city_code: str,
    city_name: str,
    prefecture: str,
    generated_at: datetime | None = None,
) -> Return:
    """Group the lines as of T by the layout's keys and give each column its measure."""
    phase, _ = city.phase_as_of(cur, as_of, known_at)
    lines = lines_as_of(cur, as_of, known_at, severe=severe, phase=phase)
    counts = city.counts_as_of(cur, as_of, known_at)
    context = Context(as_of, timezone, city_code, city_name, prefecture, phase, layout.total_label)
    rows = tuple(
        {c.key: MEASURES[c.measure](group, context) for c in layout.columns}
        for group in groups(layout, lines, counts)
    )
    return Return(layout, as_of, known_at, generated_at or now(), timezone, phase, rows)


def groups(
    layout: Layout, lines: list[ReturnLine], counts: dict[str, dict[str, int]]
) -> list[Group]:
    """The rows' groups, sorted by their keys; then the total, if the layout has one."""
    found: dict[tuple[str, ...], Group] = {}
    for line in lines:
        key = tuple(_key_value(line, k) for k in layout.group_by)
        found.setdefault(key, Group(dict(zip(layout.group_by, key, strict=True)))).lines.append(
            line
        )
    by_district = layout.group_by == ("district",)
    if by_district:  # a district with counts and no facility still has a row
        for district, its_counts in counts.items():
            found.setdefault((district,), Group({"district": district})).counts = its_counts
    ordered = [found[k] for k in sorted(found)]
    if layout.total:
        total = Group({"_total": "1"}, list(lines))
        if by_district:
            total.counts = _summed(counts.values()) if counts else None
        ordered.append(total)
    return ordered


def _key_value(line: ReturnLine, key: str) -> str:
    value = getattr(line, key)
    return value if value is not None else ""  # an unregistered source has no district


def _summed(many: Any) -> dict[str, int]:
    total: dict[str, int] = {}
    for counts in many:
        for name, value in counts.items():
            total[name] = total.get(name, 0) + value
    return total


def render_csv(made: Return) -> bytes:
    """UTF-8 with a BOM (Excel in Japan), the form's own headers."""
    rows = ({c.header: row[c.key] for c in made.layout.columns} for row in made.rows)
    return to_csv.table_csv(made.layout.headers, rows)


def render_xlsx(made: Return) -> bytes:
    rows = [{c.header: row[c.key] for c in made.layout.columns} for row in made.rows]
    meta = {"title": made.layout.title_ja, **made.metadata()}
    rates = [c.header for c in made.layout.columns if c.measure.endswith("occupancy_rate")]
    return to_xlsx.workbook(
        made.layout.headers, rows, made.layout.name, meta, made.generated_at, percent=rates
    )


RETURN_FORMATS = {
    "csv": (render_csv, to_csv.MIME, ".csv"),
    "xlsx": (render_xlsx, to_xlsx.MIME, ".xlsx"),
}
