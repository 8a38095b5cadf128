"""Open data from the fixture log: the documented columns, nothing per facility unless allowed."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from test_exports_log import write_log
from test_returns import AS_OF, KNOWN_AT, fixture_log

from bedboard.settings import Settings
from consumers.exports import open_feed, opendata, returns


@pytest.fixture(scope="module")
def replica(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_log(tmp_path_factory.mktemp("open") / "replica.duckdb", fixture_log())


def published(replica: Path, **settings: object) -> dict[str, opendata.OpenFile]:
    con = duckdb.connect(str(replica), read_only=True)
    try:
        made = opendata.files(con.cursor(), Settings(**settings), as_of=AS_OF, known_at=KNOWN_AT)
    finally:
        con.close()
    return {f.name: f for f in made}


def test_by_district_only_unless_the_city_turns_per_facility_on(replica: Path) -> None:
    assert set(published(replica)) == {"beds-by-district.csv", "beds-by-district.json"}
    allowed = published(replica, open_data_per_facility=True)
    assert set(allowed) == {
        f"beds-by-{x}.{s}" for x in ("district", "facility") for s in ("csv", "json")
    }
    for f in published(replica).values():  # no facility id or name anywhere in what is public
        for facility in ("HJ-0001", "八王子中央病院", "AC-0001"):
            assert facility.encode() not in f.data, (f.name, facility)


def test_the_csv_opens_in_pandas_with_the_documented_columns(replica: Path) -> None:
    data = published(replica)["beds-by-district.csv"].data
    assert not data.startswith(b"\xef\xbb\xbf")  # plain UTF-8
    table = pd.read_csv(io.BytesIO(data), encoding="utf-8", dtype={"全国地方公共団体コード": str})
    assert list(table.columns) == list(returns.load(opendata.DISTRICT).headers)
    assert set(table["全国地方公共団体コード"]) == {"132012"}
    icu = table[(table["地区"] == "中央地区") & (table["病床区分コード"] == "adult_icu")]
    assert icu[["確保病床数", "即応病床数", "使用中病床数", "空床数"]].values.tolist() == [
        [10, 8, 7, 1]
    ]
    rooms = table[table["病床区分コード"] == "accommodation_room"]
    assert rooms["施設区分"].tolist() == ["宿泊療養施設"] and rooms["確保病床数"].tolist() == [100]
    # Every row adds up to what the survey counts: secured hospital beds of 中央 are 62.
    central = table[(table["地区"] == "中央地区") & (table["施設区分"] == "病院")]
    assert central["確保病床数"].sum() == 62


def test_json_carries_the_same_rows_and_its_dictionary(replica: Path) -> None:
    body = json.loads(published(replica)["beds-by-district.json"].data)
    layout = returns.load(opendata.DISTRICT)
    assert [c["key"] for c in body["columns"]] == [c.key for c in layout.columns]
    assert body["as_of"] == "2026-11-25T00:00:00+09:00" and body["phase"] == "3"
    assert (
        len(body["rows"]) == len(published(replica)["beds-by-district.csv"].data.splitlines()) - 1
    )


def test_the_same_as_of_and_known_at_give_the_same_bytes(replica: Path) -> None:
    first, again = published(replica), published(replica)
    assert {n: f.sha256 for n, f in first.items()} == {n: f.sha256 for n, f in again.items()}


def test_the_folder_has_each_file_with_its_as_of_and_hash_in_the_manifest(
    replica: Path, tmp_path: Path
) -> None:
    made = list(published(replica).values())
    settings = Settings()
    extra = {"manifest.json": opendata.manifest(made, settings, KNOWN_AT, KNOWN_AT)}
    opendata.write_folder(tmp_path, made, extra)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        data = (tmp_path / entry["name"]).read_bytes()
        assert entry["sha256"] == opendata.OpenFile("", data, "", AS_OF).sha256
        assert entry["as_of"] == "2026-11-25T00:00:00+09:00" and entry["bytes"] == len(data)
    assert not list(tmp_path.glob(".*.partial"))


def test_the_dictionary_document_is_generated_from_the_layouts() -> None:
    assert opendata.DICTIONARY_DOC.read_text(encoding="utf-8") == opendata.dictionary_markdown(), (
        "docs/open-data.md is stale: run python -m consumers.exports.opendata"
    )
    page = opendata.dictionary_html(Settings(), "ja")
    for column in returns.load(opendata.DISTRICT).columns:
        assert column.header in page and column.key in page
    assert "beds-by-facility" not in page  # not published, not described
    assert "Beds by district" in opendata.dictionary_html(Settings(), "en")


def test_the_feed_serves_the_day_s_files_and_nothing_unpublished(replica: Path) -> None:
    settings = Settings(snapshot_cutoff="00:00")

    def cursor() -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(replica), read_only=True)

    feed = open_feed.Feed(cursor, settings)
    body, media, headers = feed.fetch("beds-by-district.csv", "2026-11-25")
    assert media.startswith("text/csv") and body.startswith("全国地方公共団体コード".encode())
    assert headers["X-Bedboard-As-Of"] == "2026-11-25T00:00:00+09:00"
    assert headers["ETag"].strip('"') == hashlib.sha256(body).hexdigest()
    page, media, _ = feed.fetch("dictionary.html")
    assert media.startswith("text/html") and "データ辞書" in page.decode()
    for missing in ("beds-by-facility.csv", "manifest.json", "../replica.duckdb"):
        with pytest.raises(open_feed.NotFound):
            feed.fetch(missing, "2026-11-25")
    with pytest.raises(open_feed.BadDay):
        feed.fetch("beds-by-district.csv", "2999-01-01")
    # Within the minute, the same files (made once), known at the same time.
    again = feed.fetch("beds-by-district.csv", "2026-11-25")
    assert again[0] == body and again[2]["X-Bedboard-Known-At"] == headers["X-Bedboard-Known-At"]
