"""The municipal outlines drawn under the map's facilities, from a file shipped with Bedboard.

dashboard/data/boundaries.geojson holds Hachioji and the places around it, as the Japan
Meteorological Agency draws them (see dashboard/data/README.md for the source and its terms, and
infra/boundaries/make.py for how the file was made). Nothing is fetched at run time.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PATH = Path(__file__).resolve().parent / "data" / "boundaries.geojson"

Ring = tuple[tuple[float, float], ...]  # (lon, lat) points; the last equals the first


@dataclass(frozen=True)
class Outline:
    """One municipality: its code, its names and the rings of its outline."""

    code: str
    name_ja: str
    name_en: str
    rings: tuple[Ring, ...]

    def name(self, lang: str) -> str:
        return self.name_ja if lang == "ja" else self.name_en

    def contains(self, lon: float, lat: float) -> bool:
        """Whether the point lies inside (an odd number of ring crossings to its east)."""
        inside = False
        for ring in self.rings:
            for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
                if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                    inside = not inside
        return inside

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """West, south, east, north."""
        lons = [x for ring in self.rings for x, _ in ring]
        lats = [y for ring in self.rings for _, y in ring]
        return min(lons), min(lats), max(lons), max(lats)

    @property
    def centre(self) -> tuple[float, float]:
        """The middle of its largest ring's points: where its name is written."""
        ring = max(self.rings, key=len)
        return sum(x for x, _ in ring) / len(ring), sum(y for _, y in ring) / len(ring)


@functools.cache
def outlines(path: Path = PATH) -> tuple[Outline, ...]:
    """Every outline in the file (read once per process)."""
    found = json.loads(path.read_text(encoding="utf-8"))
    return tuple(
        Outline(
            feature["properties"]["code"],
            feature["properties"]["name_ja"],
            feature["properties"]["name_en"],
            tuple(
                tuple((float(x), float(y)) for x, y in ring)
                for polygon in feature["geometry"]["coordinates"]
                for ring in polygon
            ),
        )
        for feature in found["features"]
    )


def containing(points: Iterable[tuple[float, float]], among: Iterable[Outline]) -> list[Outline]:
    """The outlines with at least one of the (lon, lat) points inside: the facilities' city."""
    located = list(points)
    return [o for o in among if any(o.contains(lon, lat) for lon, lat in located)]
