"""Checking a batch of raw records at once in DuckDB; only what SQL doubts goes to `check`.

The SQL accepts a record only when it is a `capacity.reported` event in the plain form producers
send (no escapes in strings, canonical UUID and RFC 3339 time, no relaxed JSON) that obeys every
rule of the contract. Anything else, valid or not, is checked by `schemas.records.check`, so a
rejection's reason and detail are always the contract's, and SQL may doubt but never decide a
refusal. tests/unit/test_bulk.py holds both paths equal on random valid and broken records.
A batch too small to pay for the SQL (BULK_FROM) is checked by `check` alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from consumers.columns import AWARE, REPORTS_SCHEMA
from consumers.rules import Accepted, ms_to_utc
from schemas.events import BED_TYPES
from schemas.records import FUTURE_TOLERANCE, MAX_RECORD_BYTES, Rejection, check

RAW_SCHEMA = pa.schema(
    [("position", pa.int32()), ("raw", pa.binary()), ("ingested_at", AWARE)]
    + [("src_partition", pa.int32()), ("src_offset", pa.int64())]
)
FIELDS = ("type", "version", "event_id", "occurred_at", "actor", "facility_id", "beds")
OPTIONAL = ("accepting", "ed_status", "note")


def _texts(*words: str) -> str:
    """SQL list of the JSON texts of these strings (with their quotes)."""
    return "[" + ", ".join(f"'\"{w}\"'" for w in words) + "]"


# Every leaf as its JSON text, in one parse; a JSON null and a missing key both come out NULL.
SHAPE = json.dumps(
    {k: "JSON" for k in FIELDS + OPTIONAL}
    | {"actor": {"org": "JSON", "user": "JSON"}}
    | {"beds": [{"bed_type": "JSON", "usable": "JSON", "occupied": "JSON"}]}
)
# Years 1970-9998, real clock fields and offsets to ±14:00; the cast rejects days like 02-30.
TIME = (
    '^"(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])'
    "T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?"
    '(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00)"$'
)
FACILITY = '^"[A-Za-z0-9][A-Za-z0-9_-]{0,31}"$'


def _text(column: str, most: int, least: int = 0) -> str:
    """A JSON string of least..most characters (no escapes: the record has no backslash)."""
    return f"(starts_with({column}, '\"') AND length({column}) BETWEEN {least + 2} AND {most + 2})"


def _counts(column: str) -> str:
    """Every element a JSON integer 0-5000 written plainly (`1.0`, `-0`, `01` are doubted)."""
    # Cast as text, not as JSON: the number's text is its JSON, and no parse is needed.
    return (
        f"list_count({column}) = len({column}) "
        f"AND try_cast({column}::VARCHAR[] AS USMALLINT[])::VARCHAR[] = {column}::VARCHAR[] "
        f"AND list_max({column}::VARCHAR[]::USMALLINT[]) <= 5000"
    )


def _unquoted(column: str) -> str:
    """A JSON string's value: it has no escapes and so no quote inside (the record has no
    backslash), so trimming the quotes is exact, and cheaper than a JSON parse."""
    return f"trim({column}, '\"')"


CHECK_SQL = f"""
WITH source AS (
    SELECT position, ingested_at, src_partition, src_offset,
        CASE WHEN octet_length(raw) <= {MAX_RECORD_BYTES} THEN try(decode(raw)) END AS j
    FROM b_raw
),
plain AS (
    SELECT *, j IS NOT NULL AND starts_with(j, '{{') AND NOT contains(j, '\\')
        -- yyjson takes trailing commas, NaN and Infinity; the contract does not
        AND NOT regexp_matches(j, ',\\s*[\\]}}]') AND json_valid(j) AS plain
    FROM source
),
parsed AS (
    SELECT position, ingested_at, src_partition, src_offset,
        json_transform(j, '{SHAPE}') AS v,
        -- Every key in the record, at any depth: with no backslash, no string holds a quote,
        -- so `":` ends a key and nothing else (a space before the colon is doubted).
        (length(j) - length(replace(j, '":', ''))) // 2 AS keys
    FROM plain WHERE plain
),
lines AS (
    SELECT *,
        list_transform(v.beds, lambda b: b.bed_type) AS bed_type,
        list_transform(v.beds, lambda b: b.usable) AS usable,
        list_transform(v.beds, lambda b: b.occupied) AS occupied
    FROM parsed
),
judged AS (
    SELECT *, CASE WHEN
        -- The keys once each, and no others: every required key is found below (not NULL), and
        -- the record has no more keys than those and the optional ones that are not null.
        keys = {len(FIELDS)} + 2 + 3 * len(v.beds)
            + (v.accepting IS NOT NULL)::INTEGER + (v.ed_status IS NOT NULL)::INTEGER
            + (v.note IS NOT NULL)::INTEGER
        AND v.type = '"capacity.reported"' AND v.version = '1'
        AND v.event_id::VARCHAR LIKE '"________-____-____-____-____________"'
        AND try_cast({_unquoted("v.event_id")} AS UUID) IS NOT NULL
        AND regexp_full_match(v.occurred_at, '{TIME}')
        AND v.actor.org IN {_texts("hospital", "health_centre", "city_hall", "system")}
        AND {_text("v.actor.user", 64, 1)}
        AND regexp_full_match(v.facility_id, '{FACILITY}')
        AND len(v.beds) BETWEEN 1 AND 20
        AND list_count(bed_type) = len(v.beds) AND list_has_all({_texts(*BED_TYPES)}, bed_type)
        AND len(list_distinct(bed_type)) = len(v.beds)
        AND {_counts("usable")} AND {_counts("occupied")}
        AND (v.accepting IS NULL OR v.accepting IN {_texts("open", "limited", "closed")})
        AND (v.ed_status IS NULL OR v.ed_status IN {_texts("normal", "advisory", "closed")})
        AND (v.note IS NULL OR {_text("v.note", 500)})
        THEN try_cast({_unquoted("v.occurred_at")} AS TIMESTAMPTZ) END AS occurred_at
    FROM lines
)
SELECT
    position,
    {_unquoted("v.event_id")}::UUID AS event_id,
    {_unquoted("v.facility_id")} AS facility_id,
    occurred_at,
    ingested_at,
    src_partition,
    src_offset,
    {_unquoted("v.accepting")} AS accepting,
    {_unquoted("v.ed_status")} AS ed_status,
    {_unquoted("v.note")} AS note,
    {_unquoted("v.actor.org")} AS actor_org,
    {_unquoted("v.actor.user")} AS actor_user,
    len(v.beds)::INTEGER AS bed_types,
    list_transform(bed_type, lambda b: {_unquoted("b")}) AS bed_type,
    usable::VARCHAR[]::INTEGER[] AS usable,
    occupied::VARCHAR[]::INTEGER[] AS occupied,
    -- v1 lines have neither (a v2 report is checked one by one)
    list_transform(bed_type, lambda b: NULL::INTEGER) AS secured,
    list_transform(bed_type, lambda b: NULL::INTEGER) AS oxygen
FROM judged
WHERE occurred_at <= ingested_at + INTERVAL {int(FUTURE_TOLERANCE.total_seconds())} SECOND
"""


@dataclass
class Raw:
    """A topic's records as polled, not yet checked: values and where the broker put them."""

    values: list[bytes | None] = field(default_factory=list)
    timestamps: list[int] = field(default_factory=list)  # LogAppendTime, ms
    partitions: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # each record's `source` header

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class Checked:
    """A topic's records once checked: reports as columns, the rest as models, the refused."""

    reports: pa.Table = field(default_factory=REPORTS_SCHEMA.empty_table)
    models: list[tuple[int, Accepted]] = field(default_factory=list)  # (position, record)
    rejected: list[tuple[int, Rejection]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # by position: each record's source header


# Below this many records the SQL's fixed cost (planning and registering, ~15-20 ms a batch)
# is more than checking each record in Python (~14 µs): a live batch of ten is checked one by
# one, a catch-up batch in bulk. Both decide alike (tests/unit/test_bulk.py).
BULK_FROM = 1_000


def check_raw(con: duckdb.DuckDBPyConnection, raw: Raw, bulk_from: int = BULK_FROM) -> Checked:
    """Check a topic's records, in bulk if there are `bulk_from` or more; what SQL does not
    accept is checked one by one."""
    if len(raw) < bulk_from:
        return _one_by_one(raw, Checked(sources=raw.sources), range(len(raw)))
    table = pa.table(
        {
            "position": pa.array(range(len(raw)), pa.int32()),
            "raw": pa.array(raw.values, pa.binary()),
            "ingested_at": pa.array(raw.timestamps, pa.int64()).cast(pa.timestamp("ms", "UTC")),
            "src_partition": pa.array(raw.partitions, pa.int32()),
            "src_offset": pa.array(raw.offsets, pa.int64()),
        }
    ).cast(RAW_SCHEMA)
    con.register("b_raw", table)
    try:
        reports = con.sql(CHECK_SQL).to_arrow_table().cast(REPORTS_SCHEMA)
    finally:
        con.unregister("b_raw")
    passed = pc.is_in(table.column("position"), value_set=reports.column("position"))
    doubted = pc.indices_nonzero(pc.invert(passed)).to_pylist()
    return _one_by_one(raw, Checked(reports=reports, sources=raw.sources), doubted)


def _one_by_one(raw: Raw, out: Checked, positions: Iterable[int]) -> Checked:
    """Check these records with `schemas.records.check` into `out`."""
    for i in positions:
        ingested = ms_to_utc(raw.timestamps[i])
        outcome = check(raw.values[i], ingested)
        if isinstance(outcome, Rejection):
            out.rejected.append((i, outcome))
        else:
            source = raw.sources[i] if i < len(raw.sources) else "unknown"
            accepted = Accepted(outcome, ingested, raw.partitions[i], raw.offsets[i], source)
            out.models.append((i, accepted))
    return out
