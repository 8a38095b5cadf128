"""Write dashboard/data/boundaries.geojson: the municipal outlines around Hachioji.

The outlines are the Japan Meteorological Agency's (気象庁) areas "市町村等（土砂災害警戒情報）"
of its 予報区等GISデータ, as packaged in the reversejp crate 0.2.1 (MIT) on crates.io. Fetch it with
`cargo info reversejp@0.2.1` (it lands in ~/.cargo/registry/cache), then run
`python infra/boundaries/make.py PATH/TO/reversejp-0.2.1.crate`. Nothing is fetched at run time.
"""

from __future__ import annotations

import io
import json
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[2] / "dashboard" / "data" / "boundaries.geojson"
# West, south, east, north: Hachioji and the places around it, so that the demo city is seen
# among its neighbours; a few dozen outlines, some 27 kB.
BOX = (139.12, 35.54, 139.48, 35.76)


def rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    return [ring for polygon in polygons for ring in polygon]


def near(ring: list[list[float]]) -> bool:
    west, south, east, north = BOX
    return any(west <= x <= east and south <= y <= north for x, y in ring)


def main(crate: Path) -> None:
    features = []
    with tarfile.open(crate) as archive:
        for member in archive.getmembers():
            name = Path(member.name).name
            if not (name.startswith("landslides_") and name.endswith(".json.zip")):
                continue
            packed = archive.extractfile(member)
            assert packed is not None
            with zipfile.ZipFile(io.BytesIO(packed.read())) as inner:
                found = json.loads(inner.read(name.removesuffix(".zip")))
            for feature in found["features"]:
                kept = [r for r in rings(feature["geometry"]) if near(r)]
                if kept:
                    props = feature["properties"]
                    features.append({
                        "type": "Feature",
                        "properties": {"code": props["code"], "name_ja": props["name"],
                                       "name_en": props["enName"]},
                        "geometry": {"type": "MultiPolygon", "coordinates": [[r] for r in kept]},
                    })  # fmt: skip
    features.sort(key=lambda f: f["properties"]["code"])
    body = {"type": "FeatureCollection", "features": features}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"{OUT}: {len(features)} outlines, {OUT.stat().st_size} bytes")  # noqa: T201


if __name__ == "__main__":
    main(Path(sys.argv[1]))
