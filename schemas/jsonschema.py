"""Writes every event version's JSON Schema into schemas/json/: `python -m schemas.jsonschema`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from schemas.events import EVENT_ADAPTER, EVENT_TYPES
from schemas.events_v2 import EVERY_VERSION, V2_MODELS

OUT = Path(__file__).resolve().parent / "json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Rules the models check in code, which JSON Schema cannot say; stated so nobody is surprised.
ALSO_CHECKED = {
    "capacity.reported": "each bed_type at most once in beds",
    "placement.responded": "reason is required (not blank) when decision is declined",
    "capacity.reported.v2": "each bed_type at most once in beds; oxygen at most usable",
    "phase.declared.v2": "actor.org is city_hall or health_centre",
    "facility.registered.v2": "reporting gives exactly one of every_hours and daily_by",
    "district.counted.v2": (
        "actor.org is city_hall or health_centre; at least one of at_home, in_accommodation, "
        "awaiting_admission"
    ),
    "case.registered.v2": (
        "actor.org is city_hall or health_centre; case_ref has a digit and no date or phone "
        "number; note holds no name, date, phone number or address (schemas/privacy.py)"
    ),
    "case.withdrawn.v2": "actor.org is city_hall or health_centre; note as in case.registered",
    "placement.requested.v2": "as v1; note holds no name, date, phone number or address",
    "placement.transport.v2": "note holds no name, date, phone number or address",
    "step_down.reported.v2": "note holds no name, date, phone number or address",
}
EVERY_EVENT = (
    "occurred_at is RFC 3339 with an offset and at most 10 minutes after the broker's ingest "
    "time; a record is at most 64 KiB of UTF-8 JSON"
)


def render() -> dict[str, str]:
    """File name -> text of every schema, exactly as checked in (v1's names are unchanged)."""
    files = {}
    models = [(f"{name}", m) for name, m in EVENT_TYPES.items()]
    models += [(f"{name}.v2", m) for name, m in V2_MODELS.items()]
    for stem, model in sorted(models):
        schema: dict[str, Any] = {"$schema": DIALECT, **model.model_json_schema()}
        rules = [ALSO_CHECKED[stem]] if stem in ALSO_CHECKED else []
        schema["$comment"] = "Also checked: " + "; ".join([*rules, EVERY_EVENT]) + "."
        files[f"{stem}.json"] = _text(schema)
    union = {"$schema": DIALECT, "title": "Bedboard event v1", **EVENT_ADAPTER.json_schema()}
    union["$comment"] = f"One of the v1 events, chosen by type. Also checked: {EVERY_EVENT}."
    files["event.json"] = _text(union)
    every = {"$schema": DIALECT, "title": "Bedboard event", **EVERY_VERSION.json_schema()}
    every["$comment"] = (
        f"One event of any version, chosen by type and version. Also checked: {EVERY_EVENT}."
    )
    files["event.v2.json"] = _text(every)
    return files


def _text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def stale(out: Path = OUT) -> list[str]:
    """The files in `out` that differ from the models, are missing, or are left over."""
    wanted = render()
    found = {p.name for p in out.glob("*.json")} if out.is_dir() else set()
    differ = [
        name
        for name, text in wanted.items()
        if name not in found or (out / name).read_text(encoding="utf-8") != text
    ]
    return sorted(differ + sorted(found - set(wanted)))


def write(out: Path = OUT) -> list[str]:
    """Write every schema into `out`, remove files of no event; returns the names written."""
    out.mkdir(parents=True, exist_ok=True)
    wanted = render()
    for extra in {p.name for p in out.glob("*.json")} - set(wanted):
        (out / extra).unlink()
    for name, text in wanted.items():
        (out / name).write_text(text, encoding="utf-8")
    return sorted(wanted)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schemas.jsonschema", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report files that differ")
    args = parser.parse_args(argv)
    if args.check:
        differ = stale()
        for name in differ:
            sys.stderr.write(f"schemas/json/{name} differs from the models\n")
        return 1 if differ else 0
    for name in write():
        sys.stdout.write(f"wrote schemas/json/{name}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
