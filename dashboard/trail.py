"""The audit trail as one table: applied events, rejected records and the sign-in audit log.

Pure: it reads what the replica and the audit log already hold and trusts nothing new. A rejected
record's actor is read from its raw bytes only when they are JSON with a string actor.user.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import pandas as pd

from dashboard.audit import Entry

COLUMNS = (
    "occurred_at",
    "ingested_at",
    "what",
    "kind",
    "facility_id",
    "person",
    "source",
    "detail",
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def events_rows(log: pd.DataFrame) -> pd.DataFrame:
    """The replica's event_log as trail rows: what = "event", kind = the event type."""
    return pd.DataFrame(
        {
            "occurred_at": log["occurred_at"],
            "ingested_at": log["ingested_at"],
            "what": "event",
            "kind": log["type"],
            "facility_id": log["facility_id"],
            "person": log["actor_user"],
            "source": log["source"].fillna("unknown"),
            "detail": log["actor_org"],
        },
        columns=COLUMNS,
    )


def rejected_rows(rejected: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Records the replica refused (also in the DLQ), with their reasons, in the language."""
    rows = []
    for rec in rejected.to_dict("records"):
        facility, person = _claimed(rec.get("raw"))
        in_japanese = rec.get("detail_ja")  # NaN when absent: only a non-empty text counts
        detail = (
            in_japanese
            if lang == "ja" and isinstance(in_japanese, str) and in_japanese
            else rec["detail"]
        )
        rows.append(
            {
                "occurred_at": None,
                "ingested_at": rec["ingested_at"],
                "what": "rejected",
                "kind": rec["reason"],
                "facility_id": facility,
                "person": person,
                "source": rec["topic"],
                "detail": detail,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def audit_rows(entries: Sequence[Entry]) -> pd.DataFrame:
    """The audit log's sign-ins, refusals and account changes as trail rows."""
    rows = [
        {
            "occurred_at": pd.Timestamp(e.at),
            "ingested_at": None,
            "what": "audit",
            "kind": e.action,
            "facility_id": None,
            "person": e.actor,
            "source": e.source,
            "detail": " ".join(part for part in (e.subject, e.detail, e.client) if part),
        }
        for e in entries
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def trail(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """All rows, newest first by the time each has (occurred, else ingested)."""
    frames = [p for p in parts if not p.empty]
    if not frames:
        return pd.DataFrame(columns=[*COLUMNS, "at"])
    table = pd.concat(frames, ignore_index=True)
    for column in ("occurred_at", "ingested_at"):
        table[column] = pd.to_datetime(table[column], utc=True)
    table["at"] = table["occurred_at"].fillna(table["ingested_at"])
    return table.sort_values("at", ascending=False, kind="stable").reset_index(drop=True)


def filtered(
    table: pd.DataFrame,
    *,
    facilities: Sequence[str] = (),
    person: str = "",
    kinds: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
) -> pd.DataFrame:
    """The rows matching every filter given (an empty filter keeps everything)."""
    keep = pd.Series(True, index=table.index)
    if facilities:
        keep &= table["facility_id"].isin(facilities)
    if person:
        keep &= table["person"].fillna("").str.contains(person, case=False, regex=False)
    if kinds:
        keep &= table["kind"].isin(kinds)
    if since is not None:
        keep &= table["at"] >= pd.Timestamp(since)
    if until is not None:
        keep &= table["at"] < pd.Timestamp(until)
    return table[keep]


def safe_cell(value: object) -> object:
    """A cell a spreadsheet shows as text, never runs: a leading formula character is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _claimed(raw: object) -> tuple[str | None, str | None]:
    """The facility and actor a refused record claims, if it is JSON that says so (untrusted)."""
    try:
        data = json.loads(bytes(raw)) if isinstance(raw, bytes | bytearray | memoryview) else None
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    actor = data.get("actor")
    user = actor.get("user") if isinstance(actor, dict) else None
    facility = data.get("facility_id")
    return (
        facility[:32] if isinstance(facility, str) else None,
        user[:64] if isinstance(user, str) else None,
    )
