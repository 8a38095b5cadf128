"""The weekly survey and the open-data folder through the real broker and the commands."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from test_snapshot import bedboard, publish

from bedboard.settings import Settings
from schemas.events import Event, parse_event

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "exports"
LATE_ID = "5e7a11e0-0013-4f5e-9a1e-000000000018"  # the fixture's report received after known_at


def fixture_events() -> tuple[list[Event], Event]:
    """The fixture log of the survey's golden test; the report it receives late, apart."""
    events, late = [], None
    for line in (GOLDEN / "returns-events.jsonl").read_text(encoding="utf-8").splitlines():
        event = parse_event(json.loads(line)["event"])
        if str(event.event_id) == LATE_ID:
            late = event
        else:
            events.append(event)
    assert late is not None
    return events, late


def test_the_weekly_survey_from_the_broker_equals_the_golden_file_and_stays_so(
    settings: Settings, tmp_path: Path
) -> None:
    events, late = fixture_events()
    known_at = publish(settings, events).isoformat()
    survey = ("report", "--layout", "weekly-survey", "--date", "2026-11-25", "--known-at", known_at)

    bedboard(settings, *survey, "--format", "csv", "-o", str(tmp_path / "a.csv"))
    assert (tmp_path / "a.csv").read_bytes() == (GOLDEN / "weekly-survey.csv").read_bytes()
    said = bedboard(settings, *survey, "--format", "xlsx", "-o", str(tmp_path / "a.xlsx")).stdout
    assert "weekly-survey" in said and "sha256" in said

    while datetime.now(UTC) <= datetime.fromisoformat(known_at):  # the broker stamps it later
        pass
    publish(settings, [late])
    bedboard(settings, *survey, "--format", "csv", "-o", str(tmp_path / "b.csv"))
    assert (tmp_path / "b.csv").read_bytes() == (tmp_path / "a.csv").read_bytes()
    # Without --known-at the command takes now rounded up to a second it waits for, so the
    # late report is in; a test's own now cut to the second could fall before it.
    bedboard(settings, *survey[:-2], "--format", "csv", "-o", str(tmp_path / "c.csv"))
    assert (tmp_path / "c.csv").read_bytes() != (tmp_path / "a.csv").read_bytes()


def test_opendata_writes_the_files_a_manifest_and_the_dictionary(
    settings: Settings, tmp_path: Path
) -> None:
    events, _ = fixture_events()
    known_at = publish(settings, events).isoformat()
    out = tmp_path / "open"
    day = ("--date", "2026-11-25", "--cutoff", "00:00", "--known-at", known_at)
    bedboard(settings, "opendata", *day, "--out", str(out))

    names = {p.name for p in out.iterdir()}
    assert names == {
        "beds-by-district.csv",
        "beds-by-district.json",
        "dictionary.html",
        "manifest.json",
    }
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {f["name"] for f in manifest["files"]} == {
        "beds-by-district.csv",
        "beds-by-district.json",
    }
    table = pd.read_csv(io.BytesIO((out / "beds-by-district.csv").read_bytes()))
    assert table["即応病床数"].sum() == 8 + 45 + 4 + 5 + 20 + 90 + 30 + 10
    first = {f["name"]: f["sha256"] for f in manifest["files"]}

    bedboard(settings, "opendata", *day, "--out", str(out))  # the next run, the same day
    again = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {f["name"]: f["sha256"] for f in again["files"]} == first
