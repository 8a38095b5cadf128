"""The one check of a raw record against the contract: size, UTF-8 JSON, schema, time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError

from schemas.events import Event
from schemas.events_v2 import EVERY_VERSION
from schemas.problems import Problem, problems_of

MAX_RECORD_BYTES = 64 * 1024
# An event may claim a time this far after it was received (clocks drift), not further.
FUTURE_TOLERANCE = timedelta(minutes=10)
# The Kafka header in which a publisher says how a record was entered: form, csv, api, cli,
# simulator. Not part of the event (the contract is unchanged); the replica keeps it for audit.
SOURCE_HEADER = "source"
MAX_DETAIL = 2000  # characters of a rejection's detail kept in headers and the rejected table


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a record was refused: a reason code of the contract and a readable detail."""

    reason: str  # too_large, invalid_json, schema, future_timestamp
    detail: str  # English: it travels in the DLQ headers
    detail_ja: str = ""  # the same in Japanese, for the dashboard
    problems: tuple[Problem, ...] = ()  # field by field, for people fixing what they sent

    def text(self, lang: str = "ja") -> str:
        return (self.detail_ja or self.detail) if lang == "ja" else self.detail


def too_far_ahead(occurred_at: datetime, received_at: datetime) -> bool:
    """Whether an event claims a time beyond the tolerance after it was received."""
    return occurred_at > received_at + FUTURE_TOLERANCE


def check(raw: bytes | None, received_at: datetime | None) -> Event | Rejection:
    """Apply the contract's checks in its order; the first that fails gives the reason.

    Without `received_at` (a file read before sending) the time check is left to the consumer.
    """
    if raw is None:
        return Rejection(
            "invalid_json",
            "the record has no value (null)",
            "レコードに値がありません",
            (Problem("", "invalid_json"),),
        )
    if len(raw) > MAX_RECORD_BYTES:
        limit = f"{MAX_RECORD_BYTES} ({MAX_RECORD_BYTES // 1024} KiB)"
        return Rejection(
            "too_large",
            f"{len(raw)} bytes, more than the limit of {limit}",
            f"{len(raw)} バイトで、上限 {MAX_RECORD_BYTES} バイト（"
            f"{MAX_RECORD_BYTES // 1024} KiB）を超えています",
            (Problem("", "too_large"),),
        )
    try:
        # One pass over the bytes: parsing, UTF-8 and the schema (about 4 µs for a report).
        event: Event = EVERY_VERSION.validate_json(raw)
    except ValidationError as error:
        return _rejection(error)
    if received_at is not None and too_far_ahead(event.occurred_at, received_at):
        at, got = event.occurred_at.isoformat(), received_at.isoformat()
        minutes = int(FUTURE_TOLERANCE.total_seconds() // 60)
        return Rejection(
            "future_timestamp",
            f"occurred_at {at} is more than {minutes} minutes after the ingest time {got}",
            f"occurred_at {at} が受付時刻 {got} より{minutes}分以上未来です",
            (Problem("occurred_at", "future_timestamp"),),
        )
    return event


def _rejection(error: ValidationError) -> Rejection:
    first = error.errors(include_url=False)[0]
    if first["type"] == "json_invalid":
        why = str(first.get("ctx", {}).get("error", first["msg"]))
        return Rejection(
            "invalid_json",
            f"not UTF-8 JSON: {why}"[:MAX_DETAIL],
            f"UTF-8 の JSON として読めません: {why}"[:MAX_DETAIL],
            (Problem("", "invalid_json"),),
        )
    # The versioned parser finds no type in what is not an object; v1's said dict_type.
    not_object = first["type"] == "union_tag_not_found" and not isinstance(first["input"], dict)
    if (first["type"] == "dict_type" or not_object) and not first["loc"]:
        return Rejection(
            "invalid_json",
            "the JSON is not an object",
            "JSON がオブジェクトではありません",
            (Problem("", "invalid_json"),),
        )
    problems = problems_of(error)
    return Rejection(
        "schema",
        "; ".join(p.message("en") for p in problems)[:MAX_DETAIL],
        "; ".join(p.message("ja") for p in problems)[:MAX_DETAIL],
        tuple(problems),
    )
