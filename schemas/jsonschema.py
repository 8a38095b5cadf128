"""Writes the JSON Schema of every v1 event into schemas/json/: `python -m schemas.jsonschema`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from schemas.events import EVENT_ADAPTER, EVENT_TYPES

OUT = Path(__file__).resolve().parent / "json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Rules the models check in code, which JSON Schema cannot say; stated so nobody is surprised.
ALSO_CHECKED = {
    "capacity.reported": "each bed_type at most once in beds",
    "placement.responded": "reason is required (not blank) when decision is declined",
}
EVERY_EVENT = (
    "occurred_at is RFC 3339 with an offset and at most 10 minutes after the broker's ingest "
    "time; a record is at most 64 KiB of UTF-8 JSON"
)


def render() -> dict[str, str]:
    """File name -> text of every schema, exactly as checked in."""
    files = {}
    for event_type, model in sorted(EVENT_TYPES.items()):
        schema: dict[str, Any] = {"$schema": DIALECT, **model.model_json_schema()}
        rules = [ALSO_CHECKED[event_type]] if event_type in ALSO_CHECKED else []
        schema["$comment"] = "Also checked: " + "; ".join([*rules, EVERY_EVENT]) + "."
        files[f"{event_type}.json"] = _text(schema)
    union = {"$schema": DIALECT, "title": "Bedboard event v1", **EVENT_ADAPTER.json_schema()}
    union["$comment"] = f"One of the v1 events, chosen by type. Also checked: {EVERY_EVENT}."
    files["event.json"] = _text(union)
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
