"""Returns and open data from layout files: the state as of a time, grouped, a measure a column."""

from __future__ import annotations

import csv
import hashlib
import io
import tomllib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa

from bedboard.settings import Settings
from consumers import city, waiting
from consumers.exports import measures, to_csv, to_xlsx
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
        if column.measure not in measures.MEASURES:
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
    # Where 入院等調整中 was counted: the waiting list's cases once the health centre keeps one,
    # else its daily counts by district.
    waiting_source: str

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
            "waiting_source": self.waiting_source,
            "sha256": self.sha256,
        }


_NO_STALE = timedelta(days=36500)  # staleness plays no part in a return


def _params(sql: str, values: dict[str, Any]) -> dict[str, Any]:
    # DuckDB refuses a named parameter the statement does not use.
    return {name: value for name, value in values.items() if f"${name}" in sql}


def lines_as_of(
    cur: duckdb.DuckDBPyConnection,
    as_of: datetime,
    known_at: datetime,
    *,
    severe: frozenset[str],
    phase: str | None,
) -> list[dict[str, Any]]:
    """Every (facility, bed type) as of T known at K, with category and secured beds resolved."""
    cur.register("r_state", state(cur, as_of, known_at, _NO_STALE))
    try:
        sql = measures.line_sql("r_state") + " ORDER BY facility_id, bed_type"
        values = {"severe": sorted(severe), "phase": phase}
        return cur.sql(sql, params=_params(sql, values)).to_arrow_table().to_pylist()
    finally:
        cur.unregister("r_state")


def of_city(settings: Settings) -> dict[str, Any]:
    """What a return says of the city, from its settings: build(..., **of_city(settings))."""
    return {
        "timezone": settings.timezone,
        "severe": settings.severe,
        "city_code": settings.city_code,
        "city_name": settings.city_name,
        "prefecture": settings.prefecture,
    }


def build(cur: duckdb.DuckDBPyConnection, layout: Layout, **options: Any) -> Return:
    """One return: the layout's groups as of T, known at K (options as for build_all)."""
    return build_all(cur, [layout], **options)[0]


def build_all(
    cur: duckdb.DuckDBPyConnection,
    layouts: list[Layout],
    *,
    as_of: datetime,
    known_at: datetime,
    timezone: str,
    severe: frozenset[str],
    city_code: str,
    city_name: str,
    prefecture: str,
    generated_at: datetime | None = None,
) -> list[Return]:
    """Returns of several layouts from one reading of the state as of T, known at K."""
    phase, _ = city.phase_as_of(cur, as_of, known_at)
    values = {
        "as_of": as_of,
        "known_at": known_at,
        "severe": sorted(severe),
        "phase": phase,
        "city_code": city_code,
        "prefecture": prefecture,
        "city_name": city_name,
        "date": as_of.astimezone(ZoneInfo(timezone)).date().isoformat(),
        "as_of_text": rfc3339(as_of, timezone),
    }
    made = []
    from_cases = waiting.waiting_by_district(cur, [as_of], known_at)
    waiting_source = "district_counts" if from_cases is None else "cases"
    values["from_cases"] = from_cases is not None
    cur.register("r_state", state(cur, as_of, known_at, _NO_STALE))
    cur.register("r_waiting", _waiting_table(from_cases, as_of))
    try:
        for layout in layouts:
            sql = rows_sql(layout)
            given = _params(sql, values | {"total_label": layout.total_label})
            table = cur.sql(sql, params=given).to_arrow_table()
            # Column by column, then zipped in C: a third of the time of Arrow's to_pylist.
            keys = table.column_names
            cells = list(zip(*(column.to_pylist() for column in table.columns), strict=True))
            rows = tuple(dict(zip(keys, values, strict=True)) for values in cells)
            stamp = generated_at or now()
            made.append(
                Return(layout, as_of, known_at, stamp, timezone, phase, rows, waiting_source)
            )
    finally:
        cur.unregister("r_state")
        cur.unregister("r_waiting")
    return made


def _waiting_table(from_cases: dict[datetime, dict[str, int]] | None, as_of: datetime) -> pa.Table:
    """Each district's cases waiting as of T (empty when the waiting list is not in use)."""
    counts = (from_cases or {}).get(as_of, {})
    return pa.table(
        {"district": list(counts), "awaiting_admission": list(counts.values())},
        schema=pa.schema([("district", pa.string()), ("awaiting_admission", pa.int32())]),
    )


# The health centre's counts by district as of T; 入院等調整中 from the waiting list's cases
# (zero where none waits) once it is in use, so that one list fills the return.
_COUNTS = f"""
    SELECT coalesce(n.district, w.district) AS district, n.at_home, n.in_accommodation,
           CASE WHEN $from_cases THEN coalesce(w.awaiting_admission, 0)
                ELSE n.awaiting_admission END AS awaiting_admission
    FROM ({city.COUNTS_AS_OF}) n FULL JOIN r_waiting w ON n.district = w.district"""


def rows_sql(layout: Layout) -> str:
    """The layout's rows as one statement: groups sorted by their keys, then the total."""
    keys = ", ".join(layout.group_by)
    by_district = layout.group_by == ("district",)
    no_counts = ", ".join(f"NULL::INTEGER AS {name}" for name in measures.COUNTS)
    if by_district:  # a district with counts and no facility still has a row
        groups = f"""
            SELECT k.district, {measures.sums_sql()}
            FROM (SELECT district FROM l UNION SELECT district FROM c) k
            LEFT JOIN l USING (district) GROUP BY k.district"""
        counted = "c." + ", c.".join(measures.COUNTS)
        groups = f"SELECT d.*, {counted} FROM ({groups}) d LEFT JOIN c USING (district)"
        total_counts = ", ".join(f"sum({n})::INTEGER AS {n}" for n in measures.COUNTS)
        total = (
            f"SELECT * FROM (SELECT {measures.sums_sql()} FROM l), (SELECT {total_counts} FROM c)"
        )
    else:
        groups = f"SELECT {keys}, {measures.sums_sql()}, {no_counts} FROM l GROUP BY {keys}"
        total = f"SELECT {measures.sums_sql()}, {no_counts} FROM l"
    every = f"SELECT false AS is_total, * FROM ({groups})"
    if layout.total:
        every += f" UNION ALL BY NAME SELECT true AS is_total, * FROM ({total})"
    columns = ", ".join(f'{measures.MEASURES[c.measure]} AS "{c.key}"' for c in layout.columns)
    order = ", ".join(f"g.{k}" for k in layout.group_by)
    return f"""
        WITH l AS MATERIALIZED ({measures.line_sql("r_state")}),
        c AS ({_COUNTS})
        SELECT {columns} FROM ({every}) g ORDER BY g.is_total, {order}"""


def render_csv(made: Return, *, bom: bool = True) -> bytes:
    """UTF-8 with a BOM (Excel in Japan) unless told not, the form's own headers, a header row.

    The values are numbers, text or empty: the csv module writes them as to_csv.cell would,
    without a Python call per cell (a country's open data has a million cells).
    """
    out = io.StringIO(newline="")
    if bom:
        out.write(to_csv.BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(made.layout.headers)
    keys = [c.key for c in made.layout.columns]
    writer.writerows(map(itemgetter(*keys), made.rows))
    return out.getvalue().encode("utf-8")


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
