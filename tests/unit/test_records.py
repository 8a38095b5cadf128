"""The one check of a raw record: the contract's reasons in its order, and its constants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from consumers.rules import ms_to_utc
from schemas.events import CapacityReported
from schemas.records import FUTURE_TOLERANCE, MAX_RECORD_BYTES, Rejection, check, too_far_ahead
from tests.factories import INGEST, capacity_body, raw


def rejected(outcome: object) -> Rejection:
    assert isinstance(outcome, Rejection), outcome
    return outcome


# --- check: the contract's order of reasons ----------------------------------------------------


def test_a_valid_report_is_accepted_as_its_model() -> None:
    event = check(raw(capacity_body()), INGEST)
    assert isinstance(event, CapacityReported)
    assert event.beds[0].occupied == 12


def test_too_large_comes_first_even_for_invalid_json() -> None:
    outcome = rejected(check(b"{" * (MAX_RECORD_BYTES + 1), INGEST))
    assert outcome.reason == "too_large"
    assert "65537" in outcome.detail and "64 KiB" in outcome.detail


def test_exactly_64_kib_is_not_too_large() -> None:
    body = capacity_body(note="")
    padding = MAX_RECORD_BYTES - len(raw(body))
    data = raw(body)[:-1] + b" " * padding + b"}"
    assert len(data) == MAX_RECORD_BYTES
    assert isinstance(check(data, INGEST), CapacityReported)


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe not utf-8",
        '{"type": "capacity.reported", "note": "é"}'.encode("latin-1"),
        b'{"type": ',
        b"",
        b"[1, 2]",
        b'"a string"',
        b"42",
        b"null",
        None,
    ],
    ids=["bytes", "latin1", "truncated", "empty", "array", "string", "number", "null", "no-value"],
)
def test_not_utf8_json_objects_are_invalid_json(data: bytes | None) -> None:
    outcome = rejected(check(data, INGEST))
    assert outcome.reason == "invalid_json"
    assert outcome.detail and outcome.detail_ja


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (capacity_body(type="capacity.unknown"), "type"),
        (capacity_body(version=3), "version"),
        (capacity_body(version=True), "version"),
        (capacity_body(extra_field=1), "extra_field"),
        (capacity_body(facility="HJ 0001"), "facility_id"),
        (capacity_body(beds=[]), "beds"),
        (
            capacity_body(beds=[{"bed_type": "adult_icu", "usable": -1, "occupied": 0}]),
            "beds[0].usable",
        ),
        (capacity_body(at="2026-11-26T08:55:00"), "occurred_at"),
    ],
    ids=["type", "version", "bool-version", "extra", "facility", "no-beds", "negative", "naive"],
)
def test_schema_problems_name_the_field_in_both_languages(body: dict, field: str) -> None:
    outcome = rejected(check(raw(body), INGEST))
    assert outcome.reason == "schema"
    assert outcome.detail.startswith(f"{field}:")
    assert outcome.detail_ja.startswith(f"{field}:")
    assert outcome.text("ja") == outcome.detail_ja and outcome.text("en") == outcome.detail


def test_schema_comes_before_future_timestamp() -> None:
    body = capacity_body(at="2027-01-01T00:00:00+00:00", version=3)
    assert rejected(check(raw(body), INGEST)).reason == "schema"


def test_ten_minutes_ahead_is_accepted_and_a_microsecond_more_is_not() -> None:
    edge = (INGEST + timedelta(minutes=10)).isoformat()
    late = (INGEST + timedelta(minutes=10, microseconds=1)).isoformat()
    assert isinstance(check(raw(capacity_body(at=edge)), INGEST), CapacityReported)
    outcome = rejected(check(raw(capacity_body(at=late)), INGEST))
    assert outcome.reason == "future_timestamp"
    assert "10 minutes" in outcome.detail and "10分" in outcome.detail_ja


def test_ms_to_utc_is_exact() -> None:
    assert ms_to_utc(1_764_115_200_123) == datetime(2025, 11, 26, 0, 0, 0, 123000, tzinfo=UTC)


def test_the_tolerance_is_ten_minutes_and_too_far_ahead_is_the_check_s_rule() -> None:
    assert timedelta(minutes=10) == FUTURE_TOLERANCE
    assert not too_far_ahead(INGEST + FUTURE_TOLERANCE, INGEST)
    assert too_far_ahead(INGEST + FUTURE_TOLERANCE + timedelta(microseconds=1), INGEST)


def test_without_a_receive_time_the_time_is_not_checked() -> None:
    assert isinstance(
        check(raw(capacity_body(at="2099-01-01T00:00:00+00:00")), None), CapacityReported
    )


def test_a_rejection_names_its_problems_field_by_field() -> None:
    outcome = rejected(check(raw(capacity_body(beds=[{"bed_type": "hcu", "usable": -1}])), INGEST))
    assert {(p.field, p.rule) for p in outcome.problems} == {
        ("beds[0].usable", "greater_than_equal"),
        ("beds[0].occupied", "missing"),
    }
    assert [p.rule for p in rejected(check(b"[1]", INGEST)).problems] == ["invalid_json"]
