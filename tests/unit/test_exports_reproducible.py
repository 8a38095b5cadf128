"""The same as_of and known_at give the same rows and hash, whatever arrives later."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, timedelta
from pathlib import Path

from test_exports_log import AS_OF, KNOWN_AT, log, snapshot_of, write_log

from consumers.exports import FORMATS
from consumers.exports.snapshot import canonical_json
from consumers.rules import Accepted


def test_two_runs_give_the_same_rows_hash_and_files(tmp_path: Path) -> None:
    path = write_log(tmp_path / "replica.duckdb")
    first, second = snapshot_of(path), snapshot_of(path)
    assert first.rows == second.rows
    assert first.sha256 == second.sha256
    for name in ("csv", "json", "parquet", "fhir", "have"):
        assert FORMATS[name].render(first) == FORMATS[name].render(second), name


def test_a_replica_rebuilt_from_the_log_gives_the_same_hash(tmp_path: Path) -> None:
    one = snapshot_of(write_log(tmp_path / "one.duckdb"))
    other = snapshot_of(write_log(tmp_path / "other.duckdb"))
    assert one.sha256 == other.sha256


def test_the_same_instant_in_another_offset_is_the_same_snapshot(tmp_path: Path) -> None:
    path = write_log(tmp_path / "replica.duckdb")
    in_tokyo = snapshot_of(path)
    in_utc = snapshot_of(path, as_of=AS_OF.astimezone(UTC), known_at=KNOWN_AT.astimezone(UTC))
    assert in_utc.sha256 == in_tokyo.sha256
    assert in_utc.metadata() == in_tokyo.metadata()
    assert FORMATS["fhir"].render(in_utc) == FORMATS["fhir"].render(in_tokyo)


def test_a_report_that_arrives_after_known_at_does_not_change_the_snapshot(
    tmp_path: Path,
) -> None:
    records = log()
    # Everything received by known_at, then the rest as the log goes on.
    received = [r for r in records if r[1].ingested_at <= KNOWN_AT]
    late = [r for r in records if r[1].ingested_at > KNOWN_AT]
    assert late, "the fixture has reports received after known_at"
    path = write_log(tmp_path / "replica.duckdb", received)
    before = snapshot_of(path)
    write_log(path, late)
    after = snapshot_of(path)
    assert after.sha256 == before.sha256
    assert after.events == before.events


def test_with_a_later_known_at_the_late_report_shows(tmp_path: Path) -> None:
    path = write_log(tmp_path / "replica.duckdb")
    published = snapshot_of(path)
    later = snapshot_of(path, known_at=KNOWN_AT + timedelta(hours=1))
    assert later.sha256 != published.sha256
    line = {(r["facility_id"], r["bed_type"]): r for r in later.rows}
    # The 08:55 report received at 09:30 now counts; the 09:30 one stays after as_of.
    assert line["HJ-0001", "medical_surgical"]["occupied"] == 215
    assert line["HJ-0001", "medical_surgical"]["reported_at"] == "2026-11-26T08:55:00+09:00"
    assert line["HJ-0003", "rehab_long_term"]["occupied"] == 30
    assert later.events == published.events + 1


def test_canonical_json_sorts_keys_drops_spaces_and_keeps_types() -> None:
    rows = ({"b": 1, "a": None, "c": True, "d": 0.9409, "e": "八王子"},)
    assert canonical_json(rows) == '[{"a":null,"b":1,"c":true,"d":0.9409,"e":"八王子"}]'.encode()
    assert json.loads(canonical_json(rows)) == list(rows)


def test_a_facility_renamed_after_known_at_keeps_its_old_name_in_the_snapshot(
    tmp_path: Path,
) -> None:
    path = write_log(tmp_path / "replica.duckdb")
    before = snapshot_of(path)
    first = next(r for t, r in log() if t == "facilities")
    new_name = first.event.name.model_copy(update={"ja": "新名称病院"})
    renamed = first.event.model_copy(
        update={"event_id": uuid.uuid4(), "name": new_name, "district": "新地区"}
    )
    write_log(path, [("facilities", Accepted(renamed, KNOWN_AT + timedelta(minutes=1), 0, 999))])
    assert snapshot_of(path).sha256 == before.sha256
    later = snapshot_of(path, known_at=KNOWN_AT + timedelta(hours=1))
    names = {r["facility_name"] for r in later.rows if r["facility_id"] == first.event.facility_id}
    assert names == {"新名称病院"}
