"""The reporting rhythm in AppTest, over the staff pages' small city: the overview names an overdue
facility before it is stale, its report form says what is overdue, and the admin's registry form
sets a cadence."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from test_staff_pages import (
    ADMIN,
    COORDINATOR,
    STAFF,
    city,
    now,
    page,
    queued,
    replica,
    shown,
)  # fmt: skip

from dashboard.accounts import UsersFile
from producers.identity import Identity
from schemas.events_v2 import FacilityRegisteredV2
from tests.factories import beds, capacity, registration

__all__ = ["city", "now"]  # the staff pages' fixtures
KAEDE = Identity("bedmgr.kaede", "hospital_staff", ("HJ-0006",))  # due every 2 h; 3 h ago


@pytest.fixture
def cadences(city: Path, tmp_path: Path, now: datetime) -> Iterator[Path]:
    """HJ-0006 reports every 2 hours and last did 3 hours ago: overdue, not yet stale (6 h)."""
    every_two = registration("HJ-0006", "元八王子", now - timedelta(days=2),
                             name={"ja": "かえで病院", "en": "Kaede Hospital"})  # fmt: skip
    events = [
        FacilityRegisteredV2.model_validate(
            every_two.model_dump() | {"version": 2, "reporting": {"every_hours": 2}}
        ),
        capacity("HJ-0006", now - timedelta(hours=3), beds=beds(medical_surgical=(40, 30))),
    ]
    replica(city, events)
    UsersFile(tmp_path / "users.json").add(KAEDE.username, KAEDE.role, None, KAEDE.facilities)
    yield city


def test_the_overview_names_an_overdue_facility_before_it_is_stale(cadences: Path) -> None:
    at = page("overview", COORDINATOR)
    warnings = [w.value for w in at.warning]
    overdue = [w for w in warnings if "報告期限切れ（1施設）" in w]
    assert overdue, warnings
    assert "かえで病院" in overdue[0] and "2時間ごと" in overdue[0]
    assert "いちょう" not in overdue[0]
    # Not stale yet: the stale count (more than 6 hours) holds only the 8-hour-old HJ-0004.
    stale = next(m for m in at.metric if "更新遅れ" in m.label)
    assert stale.value == "1施設"


def test_the_report_form_of_an_overdue_facility_says_what_is_overdue(cadences: Path) -> None:
    # Landing here first, from any page, needs the real navigation: the browser test shows it.
    at = page("report", KAEDE)
    banner = [e.value for e in at.error]
    assert any("かえで病院の報告期限を過ぎています" in b and "2時間ごと" in b for b in banner)


def test_the_report_form_of_a_facility_on_time_has_no_banner(cadences: Path) -> None:
    at = page("report", STAFF)
    assert not [e.value for e in at.error if "報告期限" in e.value]


def test_the_registry_form_sets_a_cadence(cadences: Path, tmp_path: Path) -> None:
    at = page("registry", ADMIN)
    assert "報告の間隔" in at.dataframe[0].value.columns
    at.selectbox(key="registry_pick").set_value("HJ-0001").run()
    next(w for w in at.text_input if w.label.startswith("毎日この時刻まで")).set_value("08:30")
    next(b for b in at.button if b.label == "登録する").click().run()
    assert not at.exception, [e.message for e in at.exception]
    sent = [e for e in queued(tmp_path) if isinstance(e, FacilityRegisteredV2)]
    assert [e.facility_id for e in sent] == ["HJ-0001"]
    assert sent[0].reporting and sent[0].reporting.daily_by
    assert sent[0].reporting.daily_by.isoformat() == "08:30:00+09:00"


def test_the_registry_form_names_a_bad_deadline(cadences: Path, tmp_path: Path) -> None:
    at = page("registry", ADMIN)
    at.selectbox(key="registry_pick").set_value("HJ-0001").run()
    next(w for w in at.text_input if w.label.startswith("毎日この時刻まで")).set_value("9時")
    next(b for b in at.button if b.label == "登録する").click().run()
    assert any("report_daily_by: 時刻は HH:MM" in shown(e.value) for e in at.error)
    assert not queued(tmp_path)
