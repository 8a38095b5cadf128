"""`bedboard snapshot` against the real broker: the same as_of and known_at, the same hash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bedboard.admin import end_offsets
from bedboard.settings import Settings
from producers.publisher import Publisher
from schemas.events import Event, to_json
from schemas.topics import TOPIC_OF_TYPE, TOPICS
from tests.factories import beds, capacity, registration

ROOT = Path(__file__).resolve().parents[2]


def report(facility: str, at: datetime, icu: tuple[int, int], **status: str) -> Event:
    """A report of the facility's adult ICU and its (unchanging) general ward."""
    return capacity(facility, at, beds=beds(adult_icu=icu, medical_surgical=(100, 60)), **status)


def publish(settings: Settings, events: list[Event], raw: tuple[bytes, ...] = ()) -> datetime:
    """Send each record and wait for the broker; returns the newest ingest time it gave."""
    ingested = []
    with Publisher(settings) as publisher:
        for event in events:
            topic = TOPIC_OF_TYPE[event.type]  # type: ignore[attr-defined]
            key = str(getattr(event, TOPICS[topic].key_field or "event_id")).encode()
            ingested.append(publisher.send_raw(topic, key, to_json(event)).timestamp)
        for value in raw:
            ingested.append(publisher.send_raw("capacity", b"HJ-0001", value).timestamp)
    return datetime.fromtimestamp(max(ingested) / 1000, UTC)


def bedboard(settings: Settings, *argv: str) -> subprocess.CompletedProcess[str]:
    """The command as a person runs it, on this test's broker, topics and data dir."""
    env = os.environ | {
        "BEDBOARD_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BEDBOARD_TOPIC_PREFIX": settings.topic_prefix,
        "BEDBOARD_DATA_DIR": str(settings.data_dir),
        "BEDBOARD_LANG": "en",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bedboard", *argv],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


def snapshot(settings: Settings, out: Path, *options: str) -> dict[str, Any]:
    bedboard(settings, "snapshot", *options, "--format", "json", "-o", str(out))
    return json.loads(out.read_text(encoding="utf-8"))


def test_a_snapshot_is_reproducible_through_the_broker_and_the_command(
    settings: Settings, tmp_path: Path
) -> None:
    as_of = datetime.now(UTC).replace(microsecond=0)
    known_at = publish(
        settings,
        [
            registration("HJ-0001", at=as_of - timedelta(days=1), name={"ja": "八王子中央病院"}),
            report("HJ-0001", as_of - timedelta(minutes=40), (12, 9), accepting="open"),
            report("HJ-0002", as_of - timedelta(minutes=20), (6, 6), ed_status="advisory"),
            report("HJ-0002", as_of + timedelta(seconds=1), (6, 2)),  # after as_of: not in it
        ],
        raw=(b"not json",),  # rejected to the DLQ, counted nowhere in the snapshot
    )
    window = ("--as-of", as_of.astimezone(settings.zone).isoformat())
    given = ("--known-at", known_at.isoformat())

    first = snapshot(settings, tmp_path / "first.json", *window, *given)
    assert first["known_at"] == known_at.astimezone(settings.zone).isoformat()
    assert first["events"] == 2
    icu = {(r["facility_id"], r["bed_type"]): r for r in first["rows"]}
    assert icu["HJ-0001", "adult_icu"]["occupied"] == 9
    assert icu["HJ-0001", "adult_icu"]["facility_name"] == "八王子中央病院"
    assert icu["HJ-0002", "adult_icu"]["facility_name"] is None  # an unregistered source
    assert icu["HJ-0002", "adult_icu"]["occupancy_rate"] == 1.0
    bedboard(
        settings, "snapshot", *window, *given, "--format", "csv", "-o", str(tmp_path / "a.csv")
    )
    # The command's catch-up sent the record it rejected to the DLQ before it wrote offsets.
    assert sum(end_offsets(settings, [settings.topic("dlq")]).values()) == 1

    # A report of how things stood before as_of, received only after known_at: the clock is
    # read until it has passed known_at, so that the broker stamps the report later.
    while datetime.now(UTC) <= known_at:
        pass
    publish(settings, [report("HJ-0001", as_of - timedelta(minutes=5), (12, 12))])

    again = snapshot(settings, tmp_path / "again.json", *window, *given)
    assert again["sha256"] == first["sha256"]
    assert again["rows"] == first["rows"] and again["events"] == first["events"]
    bedboard(
        settings, "snapshot", *window, *given, "--format", "csv", "-o", str(tmp_path / "b.csv")
    )
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()

    # Known now, the late report shows.
    later = snapshot(settings, tmp_path / "later.json", *window)
    assert later["sha256"] != first["sha256"]
    assert later["events"] == 3
    now_icu = {(r["facility_id"], r["bed_type"]): r for r in later["rows"]}
    assert now_icu["HJ-0001", "adult_icu"]["occupied"] == 12
    assert now_icu["HJ-0001", "adult_icu"]["reported_at"] == (
        (as_of - timedelta(minutes=5)).astimezone(settings.zone).isoformat()
    )


def test_a_day_at_the_cutoff_and_the_range_report_through_the_command(
    settings: Settings, tmp_path: Path
) -> None:
    now = datetime.now(settings.zone).replace(microsecond=0)
    publish(settings, [report("HJ-0001", now - timedelta(minutes=1), (10, 5))])
    today = now.date().isoformat()
    cutoff = (now.replace(second=0) + timedelta(minutes=1)).strftime("%H:%M")
    if cutoff == "00:00":  # just before midnight: the next cutoff is tomorrow's
        today = (now + timedelta(minutes=1)).date().isoformat()

    taken = snapshot(settings, tmp_path / "day.json", "--date", today, "--cutoff", cutoff)
    assert taken["as_of"].startswith(f"{today}T{cutoff}:00")
    assert [(r["bed_type"], r["occupied"]) for r in taken["rows"]] == [
        ("adult_icu", 5), ("medical_surgical", 60),
    ]  # fmt: skip

    out = tmp_path / "range.csv"
    said = bedboard(
        settings, "report", "--from", today, "--to", today, "--cutoff", cutoff,
        "--format", "csv", "-o", str(out),
    )  # fmt: skip
    assert str(out) in said.stdout
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "date,district,bed_type,usable,occupied,occupancy_rate"
    assert lines[1:] == [f"{today},,adult_icu,10,5,0.5", f"{today},,medical_surgical,100,60,0.6"]
