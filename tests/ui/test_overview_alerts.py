"""The overview's alerts in AppTest: the most urgent few, a count of the rest, filters for it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from dashboard_city import city_events, facility, opened_by_the_app, report
from streamlit.testing.v1 import AppTest
from test_pages import open_app

from dashboard import views

CLOSED = 24  # hospitals of one district that stopped accepting: one alert each
DISTRICT = "由木"


@pytest.fixture
def crowded(tmp_path: Path, now: datetime, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The small city and, in one more district, CLOSED hospitals not accepting."""
    m = timedelta(minutes=1)
    more = []
    for number in range(CLOSED):
        fid = f"HJ-1{number:03d}"
        more.append(facility(now - 48 * 60 * m, fid, f"ゆぎ病院{number:02d}", f"Yugi {number:02d}",
                             DISTRICT))  # fmt: skip
        more.append(report(now - 5 * m, fid, {"medical_surgical": (40, 10)}, accepting="closed",
                           ed_status="normal"))  # fmt: skip
    yield opened_by_the_app(tmp_path, monkeypatch, [*city_events(now), *more])


def alert_rows(at: AppTest) -> list[tuple[str, str]]:
    table = at.dataframe[1].value
    return list(zip(table["種別"], table["施設"], strict=True))


def captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def test_the_overview_shows_the_most_urgent_alerts_and_counts_the_rest(crowded: Path) -> None:
    at = open_app()
    shown = alert_rows(at)

    assert len(shown) == views.ALERTS_SHOWN == 10
    assert shown[0] == ("病床超過", "こもれび医療センター")  # over capacity first, as before
    assert list(at.dataframe[1].value.columns) == ["種別", "施設", "内容"]  # no filter keys shown
    more = int(captions(at).split("ほか")[1].split("件")[0])
    total = int(captions(at).split("（全")[1].split("件")[0])
    assert total == len(shown) + more
    assert total >= CLOSED + 3  # the city's own over capacity, closed and stale ones as well
    (button,) = at.get("download_button")
    assert button.proto.label == f"{total}件をCSVでダウンロード"


def test_the_overview_s_filters_reach_every_alert(crowded: Path) -> None:
    at = open_app()

    at.multiselect(key="overview_alert_districts").set_value([DISTRICT]).run()
    assert set(alert_rows(at)) <= {("受入停止中", f"ゆぎ病院{n:02d}") for n in range(CLOSED)}
    assert f"ほか{CLOSED - views.ALERTS_SHOWN}件（全{CLOSED}件）" in captions(at)

    at.multiselect(key="overview_alert_districts").set_value([]).run()
    at.multiselect(key="overview_alert_kinds").set_value(["stale_report"]).run()
    assert alert_rows(at) == [("報告の更新遅れ", "やまゆり病院")]
    assert "ほか" not in captions(at)

    at.multiselect(key="overview_alert_districts").set_value([DISTRICT]).run()
    assert "この条件のアラートはありません。" in captions(at)
    assert not at.exception


def test_the_overview_counts_the_rest_in_english(crowded: Path) -> None:
    at = open_app(lang="en")

    assert len(at.dataframe[1].value) == views.ALERTS_SHOWN
    assert " more (" in captions(at)
    assert " in all). Narrow them by kind or district." in captions(at)
    assert at.multiselect(key="overview_alert_kinds").label == "Kind"


def test_a_few_alerts_are_all_shown_without_filters(city: Path) -> None:
    at = open_app()

    assert 0 < len(at.dataframe[1].value) < views.ALERTS_SHOWN
    assert "ほか" not in captions(at)
    assert not at.get("download_button")
    assert not [w for w in at.multiselect if w.key and w.key.startswith("overview_alert")]
