"""The results table: printed, kept as bench/results/<date>.json, and written into the docs."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.core import Row

START = "<!-- bench:results:start -->"
END = "<!-- bench:results:end -->"


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "×":
        return f"{value:.2f}×"
    if unit in ("events/s", "rows"):
        return f"{value:,.0f}"
    if unit == "MB":
        return f"{value:,.0f} MB"
    if value >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:.3g} {unit}"


def _target(row: Row) -> str:
    if not row.target:
        return ""
    op, _, bound = row.target.partition(" ")
    return f"{op} {bound}×" if row.unit == "×" else f"{op} {bound} {row.unit}"


def table(rows: list[Row]) -> str:
    """A Markdown table: readable in a terminal and in the docs alike."""
    lines = [
        "| measure | metric | median | target | verdict | runs | baseline / note |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        note = "; ".join(filter(None, [row.baseline and f"vs {row.baseline}", row.note]))
        if row.baseline == "baseline":
            note = "baseline" + (f"; {row.note}" if row.note else "")
        lines.append(
            f"| {row.measure} | {row.metric} | {_number(row.value, row.unit)} | {_target(row)} "
            f"| {row.verdict} | {len(row.runs) or ''} | {note} |"
        )
    return "\n".join(lines)


def write_json(folder: Path, stamp: datetime, payload: dict[str, Any]) -> Path:
    """bench/results/<date>.json; a second run on the same day replaces the first."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stamp.date().isoformat()}.json"
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def results_section(rows: list[Row], payload: dict[str, Any], results_file: str) -> str:
    machine = payload["machine"]
    facts = ", ".join(f"{k} {v}" for k, v in machine.items())
    return "\n".join(
        [
            START,
            f"Last run: {payload['started_at']} ({payload['mode']}, "
            f"{payload['minutes']:.1f} min); raw numbers in `{results_file}`.",
            "",
            "Minutes per measure: "
            + ", ".join(f"{k} {v:.1f}" for k, v in payload.get("measure_minutes", {}).items())
            + ".",
            "",
            f"Machine: {facts}.",
            "",
            table(rows),
            END,
        ]
    )


def update_docs(doc: Path, section: str, template: str) -> None:
    """Replace the generated section of the docs, keeping the hand-written text around it."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else template
    if START in text and END in text:
        head, _, rest = text.partition(START)
        _, _, tail = rest.partition(END)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")
