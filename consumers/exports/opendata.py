"""Open data: the day's files by district (by facility where allowed) and their dictionary."""

from __future__ import annotations

import hashlib
import html
import json
import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import orjson

from bedboard.settings import Settings
from consumers.exports.returns import Layout, Return, build_all, load, of_city, render_csv
from consumers.exports.snapshot import rfc3339
from schemas import glossary

DISTRICT, FACILITY = "open-data-district", "open-data-facility"
# Published file names (stable: catalogues link to them) -> the layout each is written from.
DATASETS = {"beds-by-district": DISTRICT, "beds-by-facility": FACILITY}
CSV = "text/csv; charset=utf-8"
DICTIONARY_DOC = Path(__file__).resolve().parents[2] / "docs" / "open-data.md"


@dataclass(frozen=True)
class OpenFile:
    name: str  # e.g. beds-by-district.csv
    data: bytes
    media_type: str
    as_of: datetime

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def datasets(settings: Settings) -> dict[str, str]:
    """The datasets this city publishes: per facility only where it has turned that on."""
    return {
        name: layout
        for name, layout in DATASETS.items()
        if layout != FACILITY or settings.open_data_per_facility
    }


def files(
    cur: duckdb.DuckDBPyConnection, settings: Settings, *, as_of: datetime, known_at: datetime
) -> list[OpenFile]:
    """Every published file, CSV and JSON, as of T known at K: the same T and K, the same bytes."""
    names = datasets(settings)
    made = build_all(
        cur,
        [load(layout) for layout in names.values()],
        as_of=as_of,
        known_at=known_at,
        **of_city(settings),
        generated_at=known_at,  # not written into the files: they stay reproducible
    )
    out = []
    for name, one in zip(names, made, strict=True):
        out.append(OpenFile(f"{name}.csv", render_csv(one, bom=False), CSV, as_of))
        out.append(OpenFile(f"{name}.json", json_bytes(one), "application/json", as_of))
    return out


def json_bytes(made: Return) -> bytes:
    """The same rows with ASCII keys, and what they are: the dictionary travels with the data."""
    body = {
        "dataset": made.layout.name,
        "title": {"ja": made.layout.title_ja, "en": made.layout.title_en},
        "as_of": rfc3339(made.as_of, made.timezone),
        "known_at": rfc3339(made.known_at, made.timezone),
        "phase": made.phase,
        "columns": [
            {"key": c.key, "name": c.header, "ja": c.ja, "en": c.en} for c in made.layout.columns
        ],
        "rows": list(made.rows),
    }
    # orjson: a country's rows in a tenth of the time of json (numbers as JSON, UTF-8 as is).
    return orjson.dumps(body) + b"\n"


def manifest(
    written: list[OpenFile], settings: Settings, known_at: datetime, generated_at: datetime
) -> bytes:
    """manifest.json: each file's as-of time, size and sha256, for a web server or CKAN."""
    zone = settings.timezone
    body = {
        "publisher": {"city_code": settings.city_code, "city_name": settings.city_name},
        "known_at": rfc3339(known_at, zone),
        "generated_at": rfc3339(generated_at, zone),
        "dictionary": "dictionary.html",
        "files": [
            {
                "name": f.name,
                "media_type": f.media_type,
                "as_of": rfc3339(f.as_of, zone),
                "bytes": len(f.data),
                "sha256": f.sha256,
            }
            for f in written
        ],
    }
    return (json.dumps(body, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def write_folder(folder: Path, written: list[OpenFile], extra: dict[str, bytes]) -> list[str]:
    """Write each file whole (never half-written), the manifest last; returns the names."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for name, data in [*((f.name, f.data) for f in written), *extra.items()]:
        partial = folder / f".{name}.partial"
        partial.write_bytes(data)
        os.replace(partial, folder / name)
        names.append(name)
    return names


# --- The data dictionary: one source (the layout files), a page and a document ----------


def _layouts(per_facility: bool = True) -> list[tuple[str, Layout]]:
    return [
        (name, load(layout))
        for name, layout in DATASETS.items()
        if per_facility or layout != FACILITY
    ]


def _bed_categories() -> list[tuple[str, str, str]]:
    return [(code, names.ja, names.en) for code, names in glossary.BED_TYPE_NAMES.items()]


def dictionary_markdown() -> str:
    """docs/open-data.md, generated from the layout files (a test holds the two equal)."""
    out = [
        "# Open data: the data dictionary (データ辞書)",
        "",
        "Generated from `consumers/exports/layouts/open-data-*.toml` by",
        "`python -m consumers.exports.opendata`; do not edit by hand. The same dictionary is",
        "served as a page at `/open/dictionary.html`.",
        "",
        "- **Files**: `beds-by-district.csv` / `.json` every day; `beds-by-facility.csv` / `.json`",
        "  only where the city sets `BEDBOARD_OPEN_DATA_PER_FACILITY=true`.",
        "- **CSV**: UTF-8 without a BOM, comma-separated, a header row of the Japanese column",
        "  names below, one row per group; empty cell = no value (e.g. a rate with no beds).",
        "- **JSON**: the same rows keyed by the ASCII keys below, with `as_of`, `known_at`,",
        "  `phase` and the columns' descriptions.",
        "- **manifest.json** (in the folder `bedboard opendata --out DIR` writes): each file's",
        "  as-of time, size and sha256. The same as-of and known-at give the same bytes.",
        "- **Licence**: as the city publishes it (CC BY 4.0 is the usual choice for Japanese",
        "  local government open data).",
        "",
    ]
    for name, layout in _layouts():
        out += [f"## `{name}`: {layout.title_ja} / {layout.title_en}", "", layout.follows, ""]
        out += ["| 列名 (CSV) | key (JSON) | 説明 | description |", "|---|---|---|---|"]
        out += [f"| {c.header} | `{c.key}` | {c.ja} | {c.en} |" for c in layout.columns]
        out.append("")
    out += ["## 病床区分コード / bed category codes", "", "| code | 病床区分 | English |"]
    out += ["|---|---|---|"] + [f"| `{c}` | {ja} | {en} |" for c, ja, en in _bed_categories()]
    out += ["", "## 施設区分 / facility categories", "", "| 施設区分 | English |", "|---|---|"]
    out += [
        f"| {glossary.word(f'category.{c}', 'ja')} | {glossary.word(f'category.{c}', 'en')} |"
        for c in glossary.CATEGORIES
    ]
    return "\n".join(out) + "\n"


def dictionary_html(settings: Settings, lang: str = "ja") -> str:
    """The dictionary as one plain page, in Japanese or English, for the city's open-data site."""
    e = html.escape
    ja = lang == "ja"
    title = "オープンデータ データ辞書" if ja else "Open data: data dictionary"
    parts = [
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{e(title)} — {e(settings.city_name)}</title>",
        "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3em .6em;"
        "text-align:left;vertical-align:top}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f"<p>{e(settings.prefecture)}{e(settings.city_name)}（{e(settings.city_code)}）</p>",
    ]
    for name, layout in _layouts(settings.open_data_per_facility):
        heading = layout.title_ja if ja else layout.title_en
        parts.append(
            f'<h2 id="{e(name)}">{e(heading)}</h2><p><a href="{e(name)}.csv">{e(name)}.csv</a>'
            f' · <a href="{e(name)}.json">{e(name)}.json</a></p><p>{e(layout.follows)}</p>'
        )
        head = ("列名", "JSON", "説明") if ja else ("Column", "JSON", "Description")
        parts.append("<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>")
        for c in layout.columns:
            parts.append(
                f"<tr><td>{e(c.header)}</td><td><code>{e(c.key)}</code></td>"
                f"<td>{e(c.ja if ja else c.en)}</td></tr>"
            )
        parts.append("</table>")
    parts.append(f"<h2>{'病床区分コード' if ja else 'Bed category codes'}</h2><table>")
    for code, name_ja, name_en in _bed_categories():
        label = name_ja if ja else name_en
        parts.append(f"<tr><td><code>{e(code)}</code></td><td>{e(label)}</td></tr>")
    parts.append("</table></body></html>")
    return "\n".join(parts) + "\n"


def main() -> int:
    """Write docs/open-data.md from the layout files."""
    DICTIONARY_DOC.write_text(dictionary_markdown(), encoding="utf-8")
    sys.stdout.write(f"wrote {DICTIONARY_DOC}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
