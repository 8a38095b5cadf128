"""The bulk check in SQL against the one record check: same decisions, reasons and values."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumers.bulk import Raw, check_raw
from consumers.columns import report_columns
from consumers.rules import Accepted, ms_to_utc
from schemas.events import BED_TYPES
from schemas.records import MAX_RECORD_BYTES, Rejection, check

INGEST_MS = int(datetime(2026, 11, 26, 0, 0, tzinfo=UTC).timestamp() * 1000)
INGEST = ms_to_utc(INGEST_MS)
ZONES = ("+09:00", "Z", "-05:00", "+05:30", "+14:00")
TEXT = st.text(st.characters(codec="utf-8", exclude_characters='"\\'), max_size=12)


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    yield con
    con.close()


@st.composite
def reports(draw: st.DrawFn) -> dict[str, Any]:
    """A valid report with the optional fields present, null or absent, keys in any order."""
    at = INGEST + timedelta(seconds=draw(st.integers(-(10**7), 600)))
    zone = draw(st.sampled_from(ZONES))
    shift = {"Z": 0, "+09:00": 540, "-05:00": -300, "+05:30": 330, "+14:00": 840}[zone]
    local = at + timedelta(minutes=shift)
    fraction = draw(st.sampled_from(["", ".5", ".123456"]))
    if fraction:
        at = at.replace(microsecond=int(fraction[1:].ljust(6, "0")))
    types = draw(st.lists(st.sampled_from(BED_TYPES), min_size=1, max_size=5, unique=True))
    count = st.integers(0, 5000)
    body: dict[str, Any] = {
        "type": "capacity.reported",
        "version": 1,
        "event_id": str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1)))),
        "occurred_at": local.strftime("%Y-%m-%dT%H:%M:%S") + fraction + zone,
        "actor": {"org": draw(st.sampled_from(["hospital", "city_hall"])), "user": "u.tanaka"},
        "facility_id": draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}", fullmatch=True)),
        "beds": [{"bed_type": t, "usable": draw(count), "occupied": draw(count)} for t in types],
    }
    for name, values in (
        ("accepting", ("open", "limited", "closed", None)),
        ("ed_status", ("normal", "advisory", "closed", None)),
        ("note", ("", "満床に近い", "x" * 500, None)),
    ):
        if draw(st.booleans()):
            body[name] = draw(st.sampled_from(values))
    keys = draw(st.permutations(list(body)))
    return {k: body[k] for k in keys}


def _set(path: str, value: Any) -> Callable[[dict], None]:
    def apply(body: dict) -> None:
        *parents, last = path.split(".")
        target: Any = body
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is _DROP:
            del target[int(last) if last.isdigit() else last]
        elif last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return apply


_DROP = object()
# One field broken at a time: each rule of the contract, and forms only pydantic may judge.
BREAKS: dict[str, Callable[[dict], None]] = {
    f"{path}={value!r}": _set(path, value)
    for path, values in {
        "type": [_DROP, "capacity.report", "facility.registered", 1],
        "version": [_DROP, 2, 1.0, True, "1", None],
        "event_id": [
            _DROP,
            "not-a-uuid",
            "6F1C8F0E-8A5B-4B8E-9D0E-1B2C3D4E5F60",
            "{6f1c8f0e-8a5b-4b8e-9d0e-1b2c3d4e5f60}",
            "6f1c8f0e8a5b4b8e9d0e1b2c3d4e5f60",
            "6f1c8f0e-8a5b-4b8e-9d0e-1b2c3d4e5f6",
            12,
        ],
        "occurred_at": [
            _DROP,
            "2026-11-26T09:00:00",
            "2026-11-26 09:00:00+09:00",
            "2026-11-26t09:00:00z",
            "2026-02-30T09:00:00+09:00",
            "2026-11-26T24:00:00+09:00",
            "2026-11-26T09:00:60+09:00",
            "2026-11-26T09:00:00.1234567+09:00",
            "2026-11-26T09:00:00+24:00",
            "2036-11-26T09:00:00+09:00",
            "2026-11-26T09:11:00+00:00",
            "2026-11-26T09:10:00.001+09:00",
            "1969-12-31T23:59:59Z",
            "yesterday",
            1764115200,
        ],
        "actor": [_DROP, "hospital", None, {"org": "hospital"}],
        "actor.org": ["clinic", None, 1],
        "actor.user": ["", "x" * 64, "x" * 65, "日" * 65, 7, None],
        "actor.extra": ["x"],
        "facility_id": [_DROP, "", "-HJ", "HJ 01", "H" * 33, "H" * 32, "日本", 5],
        "beds": [_DROP, [], None, {}, "adult_icu", [1]],
        "beds.0.bed_type": ["ward", None, _DROP, 3],
        "beds.0.usable": [-1, 5001, 5000, 1.0, 1.5, "3", True, None, _DROP, 10**30],
        "beds.0.occupied": [-1, 5001, 0, 2.0, None, _DROP],
        "beds.0.extra": [1],
        "accepting": ["maybe", 1, "OPEN"],
        "ed_status": ["fine", False],
        "note": ["x" * 501, "日" * 501, "日" * 500, 3, "line\nbreak", 'say "hi"'],
        "extra": [1, None],
    }.items()
    for value in values
}
RAW_BREAKS: dict[str, Callable[[bytes], bytes]] = {
    "trailing comma": lambda raw: raw[:-1] + b",}",
    "nan": lambda raw: raw[:-1] + b',"x":NaN}',
    "duplicate key": lambda raw: raw[:-1] + b',"version":1}',
    "duplicate key in a line": lambda raw: raw.replace(b'"usable":', b'"usable":1,"usable":', 1),
    "latin-1": lambda raw: raw[:-1] + b',"note":"\xe9"}',
    "an escape": lambda raw: raw.replace(b'"capacity.reported"', b'"capacity\\u002ereported"'),
    "truncated": lambda raw: raw[:-1],
    "an array": lambda raw: b"[" + raw + b"]",
    "bom": lambda raw: b"\xef\xbb\xbf" + raw,
    "spaces": lambda raw: b"  " + raw.replace(b":", b" : ") + b"\n",
    "too large": lambda raw: raw[:-1] + b" " * (MAX_RECORD_BYTES - len(raw) + 1) + b"}",
    "exactly 64 KiB": lambda raw: raw[:-1] + b" " * (MAX_RECORD_BYTES - len(raw)) + b"}",
    "empty": lambda raw: b"",
}


@st.composite
def records(draw: st.DrawFn) -> tuple[str, bytes]:
    body = draw(reports())
    # What producers send leaves an absent field out (schemas.events.to_json); an explicit
    # null is valid too, but the bulk check may leave it to the one-record check.
    plain = "plain" if None not in body.values() else "an optional null"
    kind = draw(st.sampled_from(["plain", "field", "raw"]))
    if kind == "field":
        name = draw(st.sampled_from(sorted(BREAKS)))
        try:
            BREAKS[name](body)
        except (KeyError, IndexError, TypeError):  # the path is not there: an absent field
            name = plain
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        return name, raw
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    if kind == "raw":
        name = draw(st.sampled_from(sorted(RAW_BREAKS)))
        return name, RAW_BREAKS[name](raw)
    return plain, raw


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(records(), min_size=1, max_size=40))
def test_the_bulk_check_decides_as_the_one_record_check(
    con: duckdb.DuckDBPyConnection, batch: list[tuple[str, bytes]]
) -> None:
    values: list[bytes | None] = [raw for _, raw in batch]
    n = len(values)
    raw = Raw(values, [INGEST_MS] * n, [i % 3 for i in range(n)], list(range(n)))
    checked = check_raw(con, raw, bulk_from=1)
    by_sql = {row["position"]: row for row in checked.reports.to_pylist()}
    one_by_one = dict(checked.models)
    refused = dict(checked.rejected)
    assert len(by_sql) + len(one_by_one) + len(refused) == n
    for i, (name, value) in enumerate(batch):
        expected = check(value, INGEST)
        if isinstance(expected, Rejection):
            assert i in refused, f"{name}: SQL or check accepted what check refuses"
            assert refused[i] == expected, name
        elif i in by_sql:
            model = Accepted(expected, INGEST, raw.partitions[i], i)
            assert by_sql[i] == report_columns([(i, model)]).to_pylist()[0], name
        else:
            assert one_by_one[i].event == expected, name
        if name == "plain" and not isinstance(expected, Rejection):
            # the form producers send is never left to the slow path
            assert i in by_sql, value


def test_a_null_value_and_other_event_types_go_to_the_one_record_check(
    con: duckdb.DuckDBPyConnection,
) -> None:
    facility = {
        "type": "facility.registered",
        "version": 1,
        "event_id": str(uuid.uuid4()),
        "occurred_at": "2026-11-26T08:00:00+09:00",
        "actor": {"org": "city_hall", "user": "admin"},
        "facility_id": "HJ-0001",
        "name": {"ja": "八王子病院"},
        "kind": "hospital",
        "district": "元本郷町",
    }
    raw = Raw([None, json.dumps(facility).encode()], [INGEST_MS] * 2, [0, 0], [0, 1])
    checked = check_raw(con, raw, bulk_from=1)
    assert len(checked.reports) == 0
    assert [p for p, _ in checked.rejected] == [0]
    assert checked.rejected[0][1].reason == "invalid_json"
    assert [(p, r.event.type) for p, r in checked.models] == [(1, "facility.registered")]


def test_a_line_missing_a_key_is_not_made_up_for_by_another_line_s_extra_key(
    con: duckdb.DuckDBPyConnection,
) -> None:
    body = _report(
        [
            {"bed_type": "hcu", "usable": 3},
            {"bed_type": "burn", "usable": 1, "occupied": 0, "extra": 1},
        ]
    )
    raw = Raw([json.dumps(body).encode()], [INGEST_MS], [0], [0])
    checked = check_raw(con, raw, bulk_from=1)
    assert len(checked.reports) == 0
    assert checked.rejected[0][1] == check(raw.values[0], INGEST)


def test_a_batch_smaller_than_the_bulk_threshold_is_checked_one_by_one(
    con: duckdb.DuckDBPyConnection,
) -> None:
    body = _report([{"bed_type": "adult_icu", "usable": 4, "occupied": 1}])
    raw = Raw([json.dumps(body).encode(), b"{"], [INGEST_MS] * 2, [0, 0], [0, 1])
    for bulk_from, by_sql in ((3, 0), (2, 1)):
        checked = check_raw(con, raw, bulk_from=bulk_from)
        assert len(checked.reports) == by_sql
        assert [p for p, _ in checked.models] == ([0] if by_sql == 0 else [])
        assert [(p, r.reason) for p, r in checked.rejected] == [(1, "invalid_json")]


def _report(beds: list[dict[str, Any]]) -> dict[str, Any]:
    """A capacity report of HJ-0001 with these bed lines, as they are given."""
    return {
        "type": "capacity.reported",
        "version": 1,
        "event_id": str(uuid.uuid4()),
        "occurred_at": "2026-11-26T08:00:00+09:00",
        "actor": {"org": "hospital", "user": "u.tanaka"},
        "facility_id": "HJ-0001",
        "beds": beds,
    }
