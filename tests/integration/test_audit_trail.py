"""The audit page on a real broker and replica: a form report, a command-line report, a refused
record and a refused sign-in, each with its actor, source and reason."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bedboard.settings import Settings
from consumers import replica
from dashboard import auth
from dashboard.accounts import UsersFile, users_path
from dashboard.audit import AuditLog
from dashboard.data import NO_FEED_ENV
from producers import forms
from producers.identity import Identity
from producers.publisher import Publisher
from schemas.events import to_json

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "dashboard" / "pages" / "audit.py")
STAFF = Identity("staff.icho", "hospital_staff", ("HJ-0001",))
OFFICIAL = Identity("city.ito", "official")


def test_the_audit_page_lists_who_did_what_by_which_way_and_what_was_refused(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC) - timedelta(minutes=1)
    beds = [forms.BedInput("adult_icu", 16, 9)]
    # A form's report, sent as the dashboard's forms send it (dashboard/staff.py: source "form").
    with Publisher(settings) as publisher:
        form_report = forms.capacity_report(STAFF, "HJ-0001", beds, now=now, accepting="open")
        assert publisher.publish([form_report], source="form").status == "live"
        # A record no rule accepts: a negative count, claiming to be from bedmgr.bad.
        bad = json.loads(to_json(form_report)) | {"event_id": str(uuid.uuid4())}
        bad["actor"]["user"] = "bedmgr.bad"
        bad["beds"] = [{"bed_type": "hcu", "usable": -3, "occupied": 0}]
        publisher.send_raw("capacity", b"HJ-0001", json.dumps(bad).encode())
    # A report from the command line: `bedboard publish` of a JSON-lines file.
    cli_report = forms.capacity_report(
        Identity("night.desk", "hospital_staff", ("HJ-0002",)), "HJ-0002", beds, now=now
    )
    lines = tmp_path / "reports.jsonl"
    lines.write_bytes(to_json(cli_report) + b"\n")
    env = {
        "BEDBOARD_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BEDBOARD_TOPIC_PREFIX": settings.topic_prefix,
        "BEDBOARD_DATA_DIR": str(settings.data_dir),
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run([sys.executable, "-m", "bedboard", "publish", str(lines)], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    # A refused sign-in, as the sign-in form writes it.
    AuditLog(settings.audit_path).record("staff.icho", "sign_in_refused", "staff.icho",
                                         "wrong password", "10.0.0.7")  # fmt: skip

    path = tmp_path / "dashboard.duckdb"
    with Publisher(settings) as publisher:
        replica.catch_up(settings, path, publisher.send_dlq, publisher.flush).close()

    monkeypatch.setenv("BEDBOARD_DB", str(path))
    monkeypatch.setenv("BEDBOARD_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("BEDBOARD_LANG", "en")
    monkeypatch.setenv(NO_FEED_ENV, "1")
    UsersFile(users_path(settings)).add(OFFICIAL.username, OFFICIAL.role, None)  # SSO-only
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state[auth.SESSION_KEY] = auth.Session(
        OFFICIAL, datetime.now(UTC) + timedelta(hours=1), "password"
    )
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    table = at.dataframe[0].value
    rows = {(r["Person"], r["Kind"], r["Source"]): r for r in table.to_dict("records")}
    assert ("staff.icho", "Bed counts reported", "form") in rows
    assert ("night.desk", "Bed counts reported", "cli") in rows
    refused = rows[("bedmgr.bad", "schema", "capacity")]
    assert refused["Record"] == "Rejected" and "usable" in refused["Detail or reason"]
    sign_in = rows[("staff.icho", "Sign-in refused", "dashboard")]
    assert "wrong password" in sign_in["Detail or reason"]
    assert rows[("staff.icho", "Bed counts reported", "form")]["Facility ID"] == "HJ-0001"

    # The person filter narrows the table to one person's rows.
    at.text_input(key="audit_person").input("night.desk").run()
    assert set(at.dataframe[0].value["Person"]) == {"night.desk"}
