"""Every page runs without an exception and shows the numbers the replica's queries give."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from dashboard_city import APP, COORDINATOR, NOTE, write_replica
from streamlit.testing.v1 import AppTest

from consumers import queries
from consumers.store import connect
from dashboard import auth, staff
from producers.identity import Identity
from schemas.events import parse_event

STALE_AFTER = timedelta(hours=6)


def open_app(page: str | None = None, **state: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[auth.SESSION_KEY] = auth.Session(
        Identity(COORDINATOR, "coordinator"), datetime.now(UTC) + timedelta(hours=1), "sso"
    )
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def snapshot(path: Path, now: datetime) -> pd.DataFrame:
    """The contract's as-of state now: what every key number must agree with (read before the
    app opens the file, since one process cannot open it twice with different settings)."""
    con = connect(path, read_only=True)
    try:
        return queries.state(con.cursor(), now, now, STALE_AFTER).to_pandas()
    finally:
        con.close()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_overview_totals_match_the_state_query(city: Path, now: datetime) -> None:
    rows = snapshot(city, datetime.now(UTC))
    shown = metrics(open_app())

    assert shown["即応病床数"] == f"{rows['usable'].sum():,}"
    assert shown["使用中"] == f"{rows['occupied'].sum():,}"
    assert shown["空床"] == f"{rows['available'].sum():,}"
    assert shown["病床使用率"] == f"{rows['occupied'].sum() / rows['usable'].sum() * 100:.1f}%"
    per_facility = rows.groupby("facility_id").first()
    assert shown["✓ 受入可"] == f"{(per_facility['accepting'] == 'open').sum()}施設"
    assert shown["△ 制限あり"] == f"{(per_facility['accepting'] == 'limited').sum()}施設"
    assert shown["✕ 受入停止"] == f"{(per_facility['accepting'] == 'closed').sum()}施設"
    assert shown["⚠ 更新遅れ"] == f"{per_facility['stale'].sum()}施設" == "1施設"


def test_overview_by_bed_type_matches_the_state_query(city: Path) -> None:
    rows = snapshot(city, datetime.now(UTC))
    table = open_app().dataframe[0].value.set_index("病床種別")

    expected = rows.groupby("bed_type")[["usable", "occupied", "available"]].sum()
    assert table.loc["成人ICU", "即応病床数"] == expected.loc["adult_icu", "usable"] == 22
    assert table.loc["成人ICU", "使用中"] == expected.loc["adult_icu", "occupied"] == 23
    assert (
        table.loc["成人ICU", "状態"] == "✖ 超過"
    )  # occupied > usable: shown, flagged, not clipped
    assert table.loc["一般 (内科・外科)", "空床"] == expected.loc["medical_surgical", "available"]


def test_overview_shows_current_notices_literally(city: Path) -> None:
    at = open_app()
    shown = " ".join(e.value for e in at.error)  # critical notices

    # Markdown and HTML in a notice are escaped: they show as typed.
    assert r"\<b\>\*\*重要\*\*\</b\>" in shown
    assert r"\<script\>x\</script\>" in shown
    texts = " ".join(m.value for m in [*at.markdown, *at.info, *at.warning])
    assert "期限切れ" not in texts + shown and "撤回" not in texts + shown


def test_overview_words_the_alert_processors_alerts_like_its_own(city: Path, now: datetime) -> None:
    raised = parse_event({
        "type": "alert.raised", "version": 1, "event_id": str(uuid.uuid4()),
        "occurred_at": now.isoformat(), "actor": {"org": "system", "user": "alerts"},
        "alert_id": "HJ-0001:occupancy_high:adult_icu", "facility_id": "HJ-0001",
        "kind": "occupancy_high",
        "detail": {"bed_type": "adult_icu", "usable": 12, "occupied": 12, "occupancy_rate": 1.0,
                   "reported_at": now.isoformat(), "threshold": 0.95},
    })  # fmt: skip
    write_replica(city, [raised])
    alerts = open_app().dataframe[1].value

    assert list(alerts["種別"]) == ["病床使用率が高い"]
    assert list(alerts["施設"]) == ["いちょう総合病院"]
    assert list(alerts["内容"]) == ["成人ICU: 病床使用率 100.0%"]  # worded, not raw key: value


def test_overview_derives_alerts_from_the_board_when_none_were_raised(city: Path) -> None:
    at = open_app()
    alerts = at.dataframe[1].value

    assert ("病床超過", "こもれび医療センター") in set(
        zip(alerts["種別"], alerts["施設"], strict=True)
    )
    assert ("受入停止中", "はなみずき病院") in set(zip(alerts["種別"], alerts["施設"], strict=True))
    assert ("報告の更新遅れ", "やまゆり病院") in set(
        zip(alerts["種別"], alerts["施設"], strict=True)
    )


def test_header_says_the_feed_is_off_and_keeps_the_data(city: Path) -> None:
    at = open_app()
    header = at.markdown[0].value

    assert "ライブ更新なし" in header
    assert re.search(r"最終受信 \d+分前", header)  # the newest event is minutes old


def test_board_shows_free_beds_per_bed_type_with_a_level_icon(city: Path) -> None:
    at = open_app("board")
    board = at.dataframe[0].value.set_index("施設")

    assert list(board.index) == [  # most free beds first
        "こもれび医療センター",
        "やまゆり病院",
        "いちょう総合病院",
        "はなみずき病院",
        "あおば診療所",
    ]
    assert board.loc["いちょう総合病院", "成人ICU"] == "● 0"
    assert board.loc["いちょう総合病院", "一般 (内科・外科)"] == "▲ 13"
    assert board.loc["こもれび医療センター", "成人ICU"] == "✖ 0"
    assert board.loc["やまゆり病院", "最終報告"] == "⚠ 8時間前"
    assert board.loc["いちょう総合病院", "受入"] == "△ 制限あり"
    unregistered = at.dataframe[1].value
    assert list(unregistered["施設ID"]) == ["XX-9999"]


def test_board_filters_by_district_bed_type_and_accepting(city: Path) -> None:
    at = open_app("board")
    at.multiselect(key="board_districts").set_value(["北野"]).run()
    assert list(at.dataframe[0].value["施設"]) == ["はなみずき病院"]

    at.multiselect(key="board_districts").set_value([]).run()
    at.multiselect(key="board_accepting").set_value(["open"]).run()
    assert set(at.dataframe[0].value["施設"]) == {
        "こもれび医療センター",
        "やまゆり病院",
        "あおば診療所",
    }

    at.multiselect(key="board_types").set_value(["adult_icu"]).run()
    board = at.dataframe[0].value
    assert list(board["施設"]) == ["こもれび医療センター"]
    assert "一般 (内科・外科)" not in board.columns


def test_board_row_opens_the_facility(city: Path) -> None:
    at = open_app("board")
    at.session_state["board_table"] = {"selection": {"rows": [2], "columns": [], "cells": []}}
    at.run()

    assert not at.exception
    assert at.session_state["facility_id"] == "HJ-0001"


def test_facility_shows_history_reports_and_the_note_as_plain_text(city: Path) -> None:
    at = open_app("facility", facility_id="HJ-0001")

    assert [e.value for e in at.text] == [NOTE]  # st.text: never Markdown, never HTML
    current = at.dataframe[0].value.set_index("病床種別")
    assert current.loc["成人ICU", "使用中"] == 12 and current.loc["成人ICU", "状態"] == "● 満床"
    log = at.dataframe[1].value
    assert len(log) == 2  # two reports, the newest first
    assert log["送信者"].iloc[0] == "hospital:bedmgr.hj-0001"
    assert log["メモ"].iloc[0] == NOTE
    assert "成人ICU 12/12" in log["病床（使用中/即応）"].iloc[0]
    assert len(at.get("plotly_chart")) == 1


def test_facility_page_opens_for_a_facility_registered_without_a_phone(
    city: Path, now: datetime
) -> None:
    registered = parse_event({
        "type": "facility.registered", "version": 1, "event_id": str(uuid.uuid4()),
        "occurred_at": now.isoformat(), "actor": {"org": "city_hall", "user": "registry"},
        "facility_id": "HJ-0099", "name": {"ja": "電話なし診療所"}, "kind": "clinic",
        "district": "北野",
    })  # fmt: skip
    write_replica(city, [registered])
    at = open_app("facility", facility_id="HJ-0099")

    assert "電話なし診療所" in [m.value for m in at.markdown][0]
    assert not any(w == "電話" for m in at.markdown for w in m.value.split())


def test_facility_page_lists_an_unregistered_source(city: Path) -> None:
    at = open_app("facility", facility_id="XX-9999")

    assert any("施設登録がまだありません" in w.value for w in at.warning)


def test_map_draws_located_facilities_and_lists_the_others(city: Path) -> None:
    at = open_app("map")

    assert len(at.get("plotly_chart")) == 1
    elsewhere = at.dataframe[0].value
    assert list(elsewhere["施設"]) == ["あおば診療所"]


def test_trends_end_on_the_current_totals(city: Path) -> None:
    rows = snapshot(city, datetime.now(UTC))
    at = open_app("trends")
    latest = at.dataframe[0].value.set_index("病床種別")

    expected = rows.groupby("bed_type")[["usable", "occupied"]].sum()
    assert latest.loc["成人ICU", "使用中"] == f"{expected.loc['adult_icu', 'occupied']:,}"
    assert (
        latest.loc["一般 (内科・外科)", "即応病床数"]
        == f"{expected.loc['medical_surgical', 'usable']:,}"
    )
    assert len(at.get("plotly_chart")) == 1

    at.segmented_control(key="trends_by").set_value("district").run()
    by_district = at.dataframe[0].value.set_index("地区")
    assert "未登録" in by_district.index  # the unregistered source still counts


def test_find_ranks_open_before_limited_and_fresh_before_stale(city: Path) -> None:
    at = open_app("find")
    names = [e.value for e in at.text][::8]  # eight cells of text per row

    assert names == [
        "こもれび医療センター",
        "やまゆり病院",
        "いちょう総合病院",
    ]  # closed one left out


def test_find_maps_needs_to_bed_types_and_measures_distance(city: Path) -> None:
    at = open_app("find")
    at.pills(key="find_needs").set_value(["isolation"]).run()
    assert [e.value for e in at.text][::8] == ["いちょう総合病院"]
    assert "陰圧隔離" in " ".join(c.value for c in at.caption)

    at.selectbox(key="find_origin").set_value(("facility", "HJ-0002")).run()
    distance = [e.value for e in at.text][7]
    assert distance.endswith(" km") and 4 < float(distance.split()[0]) < 6


def test_find_request_button_is_the_placement_hook(
    city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[object, ...]] = []
    monkeypatch.setattr(
        staff, "request_placement", lambda *args, **patient: asked.append((*args, patient))
    )
    at = open_app("find")
    at.button(key="request:HJ-0002:medical_surgical").click().run()

    assert not at.exception
    assert asked == [("HJ-0002", "medical_surgical",
                      {"age_band": "70-79", "severity": "moderate", "needs": [],
                       "case_id": None})]  # fmt: skip


@pytest.mark.parametrize("page", [None, "board", "facility", "map", "trends", "find"])
def test_every_page_speaks_english(city: Path, page: str | None) -> None:
    at = open_app(page, lang="en", facility_id="HJ-0001")
    words = " ".join(
        e.value for e in [*at.subheader, *at.markdown, *at.caption, *at.metric]
        if isinstance(e.value, str)
    )  # fmt: skip

    titles = {None: "Beds across the city", "board": "Board", "facility": "Facility",
              "map": "Map", "trends": "Occupancy rate over time", "find": "Find a bed"}  # fmt: skip
    assert titles[page] in [s.value for s in at.subheader]
    assert "最終受信" not in words and "更新" not in words
