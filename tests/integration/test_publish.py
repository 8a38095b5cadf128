"""Publishing through the command line onto a real broker: good lines land, bad lines are named."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bedboard.admin import end_offsets
from bedboard.cli import main
from bedboard.settings import Settings
from producers.publisher import Publisher
from schemas.events import parse_event
from tests.factories import capacity_body, notice_body
from tests.kafka_log import topic_records

DEMO = Path(__file__).resolve().parents[2] / "producers" / "data" / "demo_city.csv"


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The command line reads its settings from the environment: point it at this test's topics."""
    monkeypatch.setenv("BEDBOARD_BOOTSTRAP_SERVERS", settings.bootstrap_servers)
    monkeypatch.setenv("BEDBOARD_TOPIC_PREFIX", settings.topic_prefix)
    monkeypatch.setenv("BEDBOARD_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("BEDBOARD_LANG", "en")
    return settings


def written(settings: Settings, short: str) -> int:
    """How many records a topic holds (its end offset)."""
    return sum(end_offsets(settings, [settings.topic(short)]).values())


def test_publish_sends_good_lines_and_names_every_bad_one(
    cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good_capacity = capacity_body("HJ-0007")
    good_notice = notice_body(body="明日から午前のみの受付になります。")
    bad = capacity_body("HJ-0007", beds=[{"bed_type": "adult_icu", "usable": -1, "occupied": 0}])
    lines = [json.dumps(good_capacity), json.dumps(good_notice), json.dumps(bad), "{oops", ""]
    path = tmp_path / "reports.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    code = main(["publish", str(path)])

    out, err = capsys.readouterr()
    assert code == 3
    assert "line 3: beds[0].usable: must be at least 0" in err
    assert "line 4: is not valid JSON" in err
    assert "published 2, queued 0, rejected 2" in out
    (record,) = topic_records(cli_env, "capacity", 1)
    assert record.key == b"HJ-0007"
    assert parse_event(record.value) == parse_event(json.dumps(good_capacity))
    (posted,) = topic_records(cli_env, "notices", 1)
    assert posted.key == good_notice["notice_id"].encode()
    assert written(cli_env, "capacity") == 1 and written(cli_env, "notices") == 1


def test_publish_reads_stdin_and_speaks_japanese(
    cli_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BEDBOARD_LANG", "ja")
    text = json.dumps(capacity_body()) + "\n" + json.dumps(capacity_body("bad id!")) + "\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))

    code = main(["publish", "-"])

    out, err = capsys.readouterr()
    assert code == 3
    assert "2行目: facility_id: 形式が正しくありません" in err
    assert "送信 1件、保留 0件、却下 1件" in out
    assert len(topic_records(cli_env, "capacity", 1)) == 1


def test_facilities_import_refuses_the_whole_file_when_a_row_is_bad(
    cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(
        "facility_id,name_ja,kind,district,licensed_adult_icu\n"
        "HJ-0001,良い病院,hospital,北野,10\n"
        "HJ-0002,悪い病院,castle,北野,-5\n",
        encoding="utf-8",
    )

    code = main(["facilities", "import", str(path)])

    err = capsys.readouterr().err
    assert code == 3
    assert "row 3: " in err and "kind: must be one of" in err
    assert "licensed_adult_icu: must be at least 0" in err
    assert written(cli_env, "facilities") == 0


def test_facilities_import_registers_the_demo_city(
    cli_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["facilities", "import", str(DEMO)])

    assert code == 0
    assert "registered 8 facilities" in capsys.readouterr().out
    found = topic_records(cli_env, "facilities", 8)
    assert [r.key for r in found] == [f"HJ-{n:04d}".encode() for n in range(1, 9)]
    assert parse_event(found[0].value).name.ja == "八王子いちょう総合病院"  # type: ignore[attr-defined]


def test_simulate_registers_invented_facilities_then_reports(
    cli_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["simulate", "--facilities", "10", "--rate", "20", "--duration", "1"])

    out = capsys.readouterr().out
    assert code == 0
    assert "registered 2 facilities" in out and "simulation stopped" in out
    registered = topic_records(cli_env, "facilities", 2)
    assert [r.key for r in registered] == [b"SIM-00001", b"SIM-00002"]
    reports = topic_records(cli_env, "capacity", 10)
    assert {r.key for r in reports} == {f"HJ-{n:04d}".encode() for n in range(1, 9)} | {
        b"SIM-00001",
        b"SIM-00002",
    }


def test_send_raw_puts_bytes_on_a_topic_unchanged(settings: Settings) -> None:
    headers = [("error.reason", b"invalid_json"), ("source.offset", b"7")]
    with Publisher(settings) as publisher:
        publisher.send_raw("capacity", b"HJ-0001", b"\xff{not json", headers)
        publisher.send_dlq("x.capacity:0:7", b"\xff{not json", headers)
        publisher.flush()

    (raw,) = topic_records(settings, "capacity", 1)
    (dead,) = topic_records(settings, "dlq", 1)
    assert (raw.key, raw.value) == (b"HJ-0001", b"\xff{not json")
    assert (dead.key, dead.value) == (b"x.capacity:0:7", b"\xff{not json")
    assert list(dead.headers) == headers
