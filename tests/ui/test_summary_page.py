"""The meeting summary page: the week's numbers since the meeting chosen, in both languages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time
from pathlib import Path

import pytest
from dashboard_city import opened_by_the_app
from streamlit.testing.v1 import AppTest
from test_pages import metrics, open_app

from tests.meeting_week import KNOWN_AT, city_week


@pytest.fixture
def meeting_city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The meeting week's city (tests/meeting_week.py), opened without a feed."""
    yield opened_by_the_app(tmp_path, monkeypatch, city_week())


def since_last_meeting(at: AppTest) -> AppTest:
    """Thursday 27th at 09:00 up to Monday 30th at 09:00, as the unit tests count it."""
    at.date_input(key="summary_day").set_value(date(2026, 11, 27))
    at.time_input(key="summary_time").set_value(time(9, 0))
    at.text_input(key="summary_known_at").input(KNOWN_AT.isoformat()).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def frame(at: AppTest, first_column: str):  # noqa: ANN201
    return next(d.value for d in at.dataframe if d.value.columns[0] == first_column)


def test_the_summary_shows_the_waiting_list_placements_and_changes(meeting_city: Path) -> None:
    at = since_last_meeting(open_app("summary"))

    shown = metrics(at)
    assert shown["入院等調整中"] == "11" and shown["依頼件数"] == "4"
    assert (shown["受入承諾"], shown["お断り"], shown["入院済み"]) == ("1", "3", "2")
    waiting = next(m for m in at.metric if m.label == "入院等調整中")
    assert waiting.delta == "6"
    beds = frame(at, "病床種別").set_index("病床種別")
    assert list(beds.loc["成人ICU", ["使用中 前回", "使用中 今回", "使用中 増減"]]) == [
        "14",
        "13",
        "-1",
    ]
    districts = frame(at, "地区").set_index("地区")
    assert list(districts.loc["南地区", ["入院等調整中 前回", "入院等調整中 今回"]]) == ["—", "3"]
    reasons = frame(at, "理由（記入のまま）")
    assert list(reasons.itertuples(index=False, name=None)) == [
        ("満床", "2"),
        ("人工呼吸器なし", "1"),
    ]
    assert any("2026-11-27 09:00 → 2026-11-30 09:00" in m.value for m in at.markdown)
    (pdf,) = at.get("download_button")
    assert not pdf.proto.disabled  # printed when clicked (tests/integration prints one)


def test_the_summary_speaks_english(meeting_city: Path) -> None:
    at = since_last_meeting(open_app("summary", lang="en"))

    shown = metrics(at)
    assert shown["Waiting for admission"] == "11" and shown["Requests sent"] == "4"
    beds = frame(at, "Bed type").set_index("Bed type")
    assert beds.loc["Adult ICU", "Occupancy rate Now"] == "72.2%"


def test_a_start_after_the_known_at_is_refused_with_a_reason(meeting_city: Path) -> None:
    at = open_app("summary")
    at.date_input(key="summary_day").set_value(date(2026, 12, 1))
    at.text_input(key="summary_known_at").input(KNOWN_AT.isoformat()).run()

    assert [e.value for e in at.error] == ["開始は確定時刻（2026-11-30 09:00）より前にしてください"]
    assert not at.metric


def test_without_chromium_the_pdf_button_says_why_instead_of_failing(
    meeting_city: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium"))
    at = since_last_meeting(open_app("summary"))

    (button,) = at.get("download_button")
    assert button.proto.disabled and "Chromium" in button.proto.help
    assert metrics(at)["入院等調整中"] == "11"  # the rest of the page is all there
