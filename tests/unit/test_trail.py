"""The audit trail's pure parts: refused records' claims, filters, and formula-safe CSV cells;
and the session store's idle and absolute ends, and the one-time cookie codes."""

from __future__ import annotations

import json
import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from dashboard import trail
from dashboard.audit import AuditLog
from dashboard.sessions import Handoffs, SessionStore, digest

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_a_refused_record_shows_the_actor_it_claims_only_when_its_json_says_so() -> None:
    claims = json.dumps({"actor": {"user": "bedmgr.bad"}, "facility_id": "HJ-0001"}).encode()
    rejected = pd.DataFrame(
        [
            {"topic": "capacity", "reason": "schema", "detail": "usable: >= 0",
             "detail_ja": "usable: 0以上", "ingested_at": T0,
             "raw": claims},
            {"topic": "capacity", "reason": "invalid_json", "detail": "broken", "detail_ja": None,
             "ingested_at": T0, "raw": b'{"actor":'},
        ]
    )  # fmt: skip
    rows = trail.rejected_rows(rejected, "ja")
    assert rows["person"].fillna("").tolist() == ["bedmgr.bad", ""]
    assert rows["facility_id"].fillna("").tolist() == ["HJ-0001", ""]
    assert rows["detail"].tolist() == ["usable: 0以上", "broken"]  # Japanese when there is one


def test_filters_by_facility_person_kind_and_time(tmp_path: Path) -> None:
    log = pd.DataFrame(
        {
            "type": ["capacity.reported", "notice.posted"],
            "facility_id": ["HJ-0001", None],
            "actor_org": ["hospital", "city_hall"],
            "actor_user": ["staff.icho", "city.ito"],
            "source": ["form", None],
            "occurred_at": [T0, T0 + timedelta(hours=2)],
            "ingested_at": [T0, T0 + timedelta(hours=2)],
        }
    )
    audit = AuditLog(tmp_path / "audit.jsonl")
    audit.record("staff.icho", "signed_in", "staff.icho", "password")
    table = trail.trail([trail.events_rows(log), trail.audit_rows(audit.entries())])
    assert table["source"].tolist()[1:] == ["unknown", "form"]  # newest first; old: unknown
    assert len(trail.filtered(table, facilities=["HJ-0001"])) == 1
    assert set(trail.filtered(table, person="ICHO")["kind"]) == {"capacity.reported", "signed_in"}
    assert trail.filtered(table, kinds=["notice.posted"])["person"].tolist() == ["city.ito"]
    window = trail.filtered(table, since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3))
    assert window["kind"].tolist() == ["notice.posted"]
    assert stat.S_IMODE((tmp_path / "audit.jsonl").stat().st_mode) == 0o600


def test_a_cell_that_a_spreadsheet_would_run_is_kept_as_text() -> None:
    assert trail.safe_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert trail.safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert trail.safe_cell("staff.icho") == "staff.icho"
    assert trail.safe_cell(3) == 3


def test_a_session_ends_when_idle_when_too_old_and_when_ended(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "s.sqlite", idle=timedelta(seconds=0.3), ttl=timedelta(hours=1))
    kept = store.start("staff.icho", "password")
    assert store.find(digest(kept)) is not None
    assert kept.encode() not in (tmp_path / "s.sqlite").read_bytes()  # only its hash is stored
    time.sleep(0.4)  # the idle timeout itself is what is tested
    assert store.find(digest(kept)) is None

    old = SessionStore(tmp_path / "s.sqlite", idle=timedelta(hours=1), ttl=timedelta(seconds=0))
    assert old.find(digest(old.start("staff.icho", "password"))) is None

    lasting = SessionStore(tmp_path / "s.sqlite", idle=timedelta(hours=1), ttl=timedelta(hours=1))
    one, two = (lasting.start("staff.icho", "password") for _ in range(2))
    other = lasting.start("city.ito", "sso")
    assert lasting.end_all("staff.icho") == 2
    assert lasting.find(digest(one)) is None and lasting.find(digest(two)) is None
    assert lasting.find(digest(other)) is not None
    assert stat.S_IMODE((tmp_path / "s.sqlite").stat().st_mode) == 0o600


def test_a_cookie_code_works_once_and_only_for_a_minute() -> None:
    clock = [0.0]
    handoffs = Handoffs(clock=lambda: clock[0])
    code = handoffs.issue("the-session-id")
    assert handoffs.redeem(code) == "the-session-id"
    assert handoffs.redeem(code) is None  # once
    late = handoffs.issue("another")
    clock[0] = 61.0
    assert handoffs.redeem(late) is None
    assert handoffs.redeem("made-up") is None
