"""The municipal outlines shipped for the map: they load, they are small, and the demo city's
facilities lie inside Hachioji's outline and nowhere else."""

from __future__ import annotations

import csv

from dashboard import boundaries
from producers.demo_city import DEMO_CITY

HACHIOJI = "1320100"  # the JMA's code for 八王子市


def test_the_file_loads_small_with_names_in_both_languages() -> None:
    outlines = boundaries.outlines()

    assert boundaries.PATH.stat().st_size < 64 * 1024
    assert len(outlines) > 10 and len({o.code for o in outlines}) == len(outlines)
    assert all(o.name_ja and o.name_en and o.rings for o in outlines)
    assert all(ring[0] == ring[-1] and len(ring) >= 4 for o in outlines for ring in o.rings)
    hachioji = {o.code: o for o in outlines}[HACHIOJI]
    assert (hachioji.name_ja, hachioji.name_en) == ("八王子市", "Hachioji City")


def test_every_demo_facility_is_inside_hachioji_and_no_other_outline() -> None:
    with DEMO_CITY.open(encoding="utf-8") as handle:
        located = [(float(r["lon"]), float(r["lat"])) for r in csv.DictReader(handle)]

    assert len(located) == 8
    for lon, lat in located:
        inside = [o.code for o in boundaries.outlines() if o.contains(lon, lat)]
        assert inside == [HACHIOJI], (lon, lat, inside)
    home = boundaries.containing(located, boundaries.outlines())
    assert [o.code for o in home] == [HACHIOJI]


def test_places_outside_are_outside() -> None:
    by_code = {o.code: o for o in boundaries.outlines()}
    hachioji = by_code[HACHIOJI]

    assert not hachioji.contains(139.7005, 35.6896)  # Shinjuku, 25 km east
    assert not hachioji.contains(139.4137, 35.6644)  # Hino, across the city line
    assert by_code["1321200"].contains(139.4137, 35.6644)
    assert hachioji.contains(*hachioji.centre)
    west, south, east, north = hachioji.bounds
    assert west < 139.3 < east and south < 35.65 < north


def test_the_attribution_ships_beside_the_file() -> None:
    readme = (boundaries.PATH.parent / "README.md").read_text(encoding="utf-8")
    assert "気象庁" in readme and "予報区等GISデータ" in readme and "reversejp" in readme
