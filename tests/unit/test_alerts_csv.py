"""The overview's CSV of alerts: the worded columns, the district, and names that cannot run."""

from __future__ import annotations

import csv
import io

import pandas as pd

from dashboard.views import alerts_csv


def read(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_csv_has_every_row_with_its_district_and_not_the_filter_keys() -> None:
    rows = pd.DataFrame({
        "種別": ["病床超過", "報告の更新遅れ"],
        "施設": ["こもれび医療センター", "=cmd|' /C calc'!A0"],
        "内容": ["成人ICU: 使用中 13 / 即応 12", "最終報告 7時間前"],
        "kind": ["over_capacity", "stale_report"], "district": ["南大沢", None],
    })  # fmt: skip

    assert read(alerts_csv(rows, "ja")) == [
        ["種別", "施設", "内容", "地区"],
        ["病床超過", "こもれび医療センター", "成人ICU: 使用中 13 / 即応 12", "南大沢"],
        # A name is never a formula in a spreadsheet.
        ["報告の更新遅れ", "'=cmd|' /C calc'!A0", "最終報告 7時間前", ""],
    ]
    assert read(alerts_csv(rows, "en"))[0][-1] == "District"
