"""The map page in AppTest: the city's outline and its neighbours under the facilities, the
outlines' source on the map, and a click on a facility's marker opening its page."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dashboard_city import APP, COORDINATOR
from streamlit.testing.v1 import AppTest

from dashboard import auth
from producers.identity import Identity


def opened_map(lang: str = "ja") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[auth.SESSION_KEY] = auth.Session(
        Identity(COORDINATOR, "coordinator"), datetime.now(UTC) + timedelta(hours=1), "sso"
    )
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/map.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def figure(at: AppTest) -> dict[str, Any]:
    (chart,) = at.get("plotly_chart")
    return json.loads(chart.proto.spec)  # type: ignore[no-any-return]


def test_the_facilities_stand_inside_their_citys_outline_among_its_neighbours(
    city: Path,
) -> None:
    drawn = figure(opened_map())

    outlines = [t for t in drawn["data"] if t.get("mode") == "lines"]
    home = [t for t in outlines if t.get("fill") == "toself"]
    assert len(home) == 1 and len(outlines) > 10  # Hachioji, tinted, and the places around
    words = [a["text"] for a in drawn["layout"]["annotations"]]
    assert "<b>八王子市</b>" in words and "日野市" in words and "多摩市" in words
    assert any(w.startswith("境界：気象庁") for w in words)  # the source, on the map itself
    # The whole city is in view, not only the part with hospitals.
    west, east = drawn["layout"]["xaxis"]["range"]
    south, north = drawn["layout"]["yaxis"]["range"]
    assert west < 139.17 and east > 139.43 and south < 35.60 and north > 35.71


def test_the_outlines_are_named_in_english_too(city: Path) -> None:
    drawn = figure(opened_map("en"))

    words = [a["text"] for a in drawn["layout"]["annotations"]]
    assert "<b>Hachioji City</b>" in words and "Hino City" in words
    assert any(w.startswith("Boundaries: Japan Meteorological Agency") for w in words)


def test_a_click_on_a_facility_opens_its_page(city: Path) -> None:
    at = opened_map()
    markers = [t for t in figure(at)["data"] if t.get("mode") == "markers+text"]
    facility_ids = [custom[2] for trace in markers for custom in trace["customdata"]]
    assert "HJ-0003" in facility_ids

    clicked = {"customdata": ["はなみずき病院", 5, "HJ-0003"], "x": 139.3562, "y": 35.6425}
    at.session_state["map"] = {
        "selection": {"points": [clicked], "point_indices": [0], "box": [], "lasso": []}
    }
    at.run()

    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["facility_id"] == "HJ-0003"
    assert at.selectbox(key="facility_id").value == "HJ-0003"  # on the facility page now
