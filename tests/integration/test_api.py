"""The HTTP API on loopback against the real broker: who may send what, in which form, and how
often; what is published; what systems that read get."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bedboard.settings import Settings
from producers.tokens import TokenStore
from tests.api_server import serving
from tests.kafka_log import topic_records

OCCURRED = (datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=0)
WHEN = OCCURRED.astimezone().isoformat()
LINES = [
    {"bed_type": "adult_icu", "usable": 12, "occupied": 10},
    {"bed_type": "medical_surgical", "usable": 200, "occupied": 150},
]


def report(facility_id: str = "HJ-0001", **extra: Any) -> dict[str, Any]:
    """A capacity.reported body as a hospital system sends it (no actor)."""
    return {
        "type": "capacity.reported",
        "version": 1,
        "event_id": str(uuid.uuid4()),
        "occurred_at": WHEN,
        "facility_id": facility_id,
        "beds": LINES,
    } | extra


def published(settings: Settings, count: int | None = None) -> list[dict[str, Any]]:
    return [json.loads(r.value) for r in topic_records(settings, "capacity", count)]


def bearer(token: str, lang: str = "en") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept-Language": lang}


@pytest.fixture
def door(settings: Settings) -> Iterator[tuple[str, str, str]]:
    """The API on the session broker: its URL, a submit token for HJ-0001 (and HJ-0003), and a
    read-only token."""
    store = TokenStore(settings.tokens_path)
    _, submit = store.add(("HJ-0001", "HJ-0003"), name="his.hj1")
    _, read = store.add((), read_only=True)
    with serving(settings) as url:
        yield url, submit, read


def test_a_report_is_accepted_for_its_facility_only_whatever_its_actor_says(
    settings: Settings, door: tuple[str, str, str]
) -> None:
    url, token, _ = door
    claimed = {"org": "city_hall", "user": "mallory"}
    mine = report(actor=claimed)
    theirs = report("HJ-0002", actor={"org": "system", "user": "admin"})

    accepted = httpx.post(f"{url}/v1/capacity", json=mine, headers=bearer(token))
    refused = httpx.post(f"{url}/v1/capacity", json=theirs, headers=bearer(token))

    assert (accepted.status_code, accepted.json()) == (
        202,
        {"event_id": mine["event_id"], "status": "live"},
    )
    assert refused.status_code == 403
    assert refused.json()["errors"] == [
        {
            "field": "facility_id",
            "rule": "not_your_facility",
            "message": "you are not bound to facility HJ-0002, so you may not send for it",
        }
    ]
    (event,) = published(settings)
    assert event["actor"] == {"org": "hospital", "user": "his.hj1"}
    assert {k: v for k, v in event.items() if k not in ("actor", "occurred_at")} == {
        k: v for k, v in mine.items() if k not in ("actor", "occurred_at")
    }


def measure_report() -> dict[str, Any]:
    """A SANER-style MeasureReport with one stratum per bed type, as a hospital system sends it."""

    def population(code: str, count: int) -> dict[str, Any]:
        return {"code": {"coding": [{"code": code}]}, "count": count}

    strata = [
        {
            "value": {"coding": [{"system": "urn:bedboard:bed-type", "code": line["bed_type"]}]},
            "population": [
                population("numTotBeds", line["usable"]),
                population("numTotBedsOcc", line["occupied"]),
            ],
        }
        for line in LINES
    ]
    return {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": "urn:bedboard:Measure:bed-capacity-v1",
        "subject": {"identifier": {"system": "urn:bedboard:facility-id", "value": "HJ-0001"}},
        "period": {"start": WHEN, "end": WHEN},
        "group": [{"population": [population("numTotBeds", 212)], "stratifier": [
            {"code": [{"text": "bed type"}], "stratum": strata}]}],
    }  # fmt: skip


def have_document() -> bytes:
    beds = "".join(
        f"<BedCapacity><BedType>{name}</BedType><Capacity>"
        f"<CapacityStatus>Vacant/Available</CapacityStatus>"
        f"<AvailableCount>{line['usable'] - line['occupied']}</AvailableCount>"
        f"<BaselineCount>{line['usable']}</BaselineCount></Capacity></BedCapacity>"
        for name, line in zip(("AdultICU", "MedicalSurgical"), LINES, strict=True)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<HospitalStatus xmlns="urn:oasis:names:tc:emergency:EDXL:HAVE:1.0" '
        'xmlns:xnl="urn:oasis:names:tc:ciq:xnl:3"><Hospital><Organization>'
        '<OrganizationInformation><xnl:OrganisationName xnl:ID="HJ-0001">'
        "<xnl:NameElement>Hachioji Central</xnl:NameElement></xnl:OrganisationName>"
        "</OrganizationInformation></Organization><EmergencyDepartmentStatus><EMSTraffic>"
        "<EMSTrafficStatus>Advisory</EMSTrafficStatus></EMSTraffic></EmergencyDepartmentStatus>"
        f"<HospitalBedCapacityStatus>{beds}</HospitalBedCapacityStatus>"
        f"<LastUpdateTime>{WHEN}</LastUpdateTime></Hospital></HospitalStatus>"
    ).encode()


def test_fhir_and_have_become_the_same_events_as_the_json(
    settings: Settings, door: tuple[str, str, str]
) -> None:
    url, token, _ = door
    fhir = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": measure_report()}],
    }

    answers = [
        httpx.post(f"{url}/v1/capacity", json=report(), headers=bearer(token)),
        httpx.post(f"{url}/fhir/MeasureReport", content=json.dumps(fhir),
                   headers=bearer(token) | {"Content-Type": "application/fhir+json"}),
        httpx.post(f"{url}/v1/capacity", json=report(ed_status="advisory"), headers=bearer(token)),
        httpx.post(f"{url}/v1/have", content=have_document(),
                   headers=bearer(token) | {"Content-Type": "application/xml"}),
    ]  # fmt: skip

    assert [a.status_code for a in answers] == [202] * 4, [a.text for a in answers]
    assert [a.json()["status"] for a in answers] == ["live"] * 4
    as_json, as_fhir, as_json_with_ed, as_have = (
        {k: v for k, v in event.items() if k != "event_id"} for event in published(settings, 4)
    )
    assert as_fhir == as_json
    assert as_have == as_json_with_ed


def test_a_resent_event_id_gets_the_first_answer_and_is_published_once(
    settings: Settings, door: tuple[str, str, str]
) -> None:
    url, token, _ = door
    once = report()
    first = httpx.post(f"{url}/v1/capacity", json=once, headers=bearer(token))

    with ThreadPoolExecutor(8) as pool:  # resent at once, as a retrying client may
        again = list(pool.map(lambda _: httpx.post(f"{url}/v1/capacity", json=once,
                                                   headers=bearer(token)), range(8)))  # fmt: skip
    other = report()
    later = httpx.post(f"{url}/v1/capacity", json=other, headers=bearer(token))

    assert first.status_code == 202
    assert {(a.status_code, a.text) for a in again} == {(202, first.text)}
    assert later.json()["status"] == "live"
    # Both answered live: the topic holds everything sent, which is each event once.
    assert [e["event_id"] for e in published(settings)] == [once["event_id"], other["event_id"]]


def test_each_refusal_names_its_field_and_rule(
    settings: Settings, door: tuple[str, str, str]
) -> None:
    url, token, _ = door
    post = f"{url}/v1/capacity"

    def rules(answer: httpx.Response) -> tuple[int, list[tuple[str, str]]]:
        return answer.status_code, [(e["field"], e["rule"]) for e in answer.json()["errors"]]

    assert rules(httpx.post(post, json=report())) == (401, [("Authorization", "unauthorized")])
    assert rules(httpx.post(post, json=report(), headers=bearer("bbt_x_y"))) == (
        401,
        [("Authorization", "unauthorized")],
    )
    big = {**report(), "note": "x" * 70_000}
    assert rules(httpx.post(post, json=big, headers=bearer(token))) == (
        413,
        [("", "body_too_large")],
    )
    as_text = bearer(token) | {"Content-Type": "text/plain"}
    assert rules(httpx.post(post, content=json.dumps(report()), headers=as_text)) == (
        415,
        [("Content-Type", "unsupported_media_type")],
    )
    broken = report(beds=[{"bed_type": "spaceship", "usable": -1, "occupied": 1}])
    del broken["occurred_at"]
    assert rules(httpx.post(post, json=broken, headers=bearer(token))) == (
        422,
        [
            ("occurred_at", "missing"),
            ("beds[0].bed_type", "literal_error"),
            ("beds[0].usable", "greater_than_equal"),
        ],
    )
    assert rules(httpx.post(post, content=b"{", headers=bearer(token) | {
        "Content-Type": "application/json"})) == (422, [("", "invalid_json")])  # fmt: skip
    assert published(settings) == []  # nothing of it was sent


def test_past_its_rate_a_token_gets_429_with_retry_after(settings: Settings) -> None:
    _, token = TokenStore(settings.tokens_path).add(("HJ-0001",))
    slow = settings.model_copy(update={"api_rate": 0.01, "api_burst": 2})
    with serving(slow) as url:
        answers = [
            httpx.post(f"{url}/v1/capacity", json=report(), headers=bearer(token)) for _ in range(3)
        ]

    assert [a.status_code for a in answers] == [202, 202, 429]
    assert answers[2].json()["errors"][0]["rule"] == "rate_limited"
    assert int(answers[2].headers["Retry-After"]) >= 1


def test_messages_follow_accept_language(door: tuple[str, str, str]) -> None:
    url, token, _ = door
    bad = report(beds=[{"bed_type": "adult_icu", "usable": 6000, "occupied": 1}])

    ja = httpx.post(f"{url}/v1/capacity", json=bad, headers=bearer(token, "ja,en;q=0.5"))
    en = httpx.post(f"{url}/v1/capacity", json=bad, headers=bearer(token, "en-GB"))
    nobody = httpx.post(f"{url}/v1/capacity", json=report())

    assert ja.json()["errors"][0]["message"] == "5000以下にしてください"
    assert en.json()["errors"][0]["message"] == "must be at most 5000"
    assert "トークン" in nobody.json()["errors"][0]["message"]  # BEDBOARD_LANG's default: ja


def test_a_read_only_token_reads_but_may_not_send(
    settings: Settings, door: tuple[str, str, str]
) -> None:
    url, token, read = door
    posted = httpx.post(
        f"{url}/v1/capacity", json=report(ed_status="normal"), headers=bearer(token)
    )
    assert posted.status_code == 202

    refused = httpx.post(f"{url}/v1/capacity", json=report(), headers=bearer(read))
    board = poll(lambda: httpx.get(f"{url}/v1/board", headers=bearer(read)).json()["lines"])
    facility = httpx.get(f"{url}/v1/facilities/HJ-0001", headers=bearer(read))
    unknown = httpx.get(f"{url}/v1/facilities/HJ-9999", headers=bearer(read))
    today = datetime.now(UTC).astimezone(settings.zone).date() + timedelta(days=1)
    day = {"date": str(today), "cutoff": "00:00", "format": "json"}
    taken = httpx.get(f"{url}/v1/snapshot", params=day, headers=bearer(read))
    bad_day = httpx.get(f"{url}/v1/snapshot", params={"date": "26/11"}, headers=bearer(read))
    health = httpx.get(f"{url}/v1/health")

    assert (refused.status_code, refused.json()["errors"][0]["rule"]) == (403, "read_only_token")
    assert [(line["bed_type"], line["usable"], line["occupied"]) for line in board] == [
        ("adult_icu", 12, 10),
        ("medical_surgical", 200, 150),
    ]
    assert facility.status_code == 200 and facility.json()["lines"][0]["ed_status"] == "normal"
    assert unknown.status_code == 404
    assert taken.status_code == 200
    assert [row["usable"] for row in taken.json()["rows"]] == [12, 200]
    assert (bad_day.status_code, bad_day.json()["errors"][0]["field"]) == (422, "date")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert httpx.get(f"{url}/v1/board").status_code == 401
    assert httpx.get(f"{url}/openapi.json").json()["paths"].keys() >= {
        "/v1/capacity", "/v1/capacity.csv", "/fhir/MeasureReport", "/v1/have", "/v1/board",
        "/v1/facilities/{facility_id}", "/v1/snapshot", "/v1/health"}  # fmt: skip


def poll(fetch: Any, within: float = 30) -> Any:
    """fetch() once it returns something truthy; fails when the deadline passes first."""
    deadline = time.monotonic() + within
    tick = threading.Event()
    while not (found := fetch()):
        assert time.monotonic() < deadline, "nothing within the deadline"
        tick.wait(0.1)
    return found


CSV_HEADER = "facility_id,bed_type,usable,occupied,accepting,note\n"


def test_a_csv_is_sent_whole_or_not_at_all(settings: Settings, door: tuple[str, str, str]) -> None:
    url, token, _ = door
    as_csv = bearer(token) | {"Content-Type": "text/csv"}
    good = CSV_HEADER + "HJ-0001,adult_icu,12,10,open,満床に近い\nHJ-0003,burn,4,1,,\n"
    bad = CSV_HEADER + "HJ-0001,adult_icu,x,10,,\nHJ-0003,spaceship,4,1,,\n"
    foreign = CSV_HEADER + "HJ-0002,adult_icu,1,1,,\n"

    sent = httpx.post(f"{url}/v1/capacity.csv", content=good.encode("cp932"), headers=as_csv)
    refused = httpx.post(f"{url}/v1/capacity.csv", content=bad.encode(), headers=as_csv)
    forbidden = httpx.post(f"{url}/v1/capacity.csv", content=foreign.encode(), headers=as_csv)

    assert sent.status_code == 202 and sent.json()["status"] == "live"
    assert [e["facility_id"] for e in sent.json()["events"]] == ["HJ-0001", "HJ-0003"]
    assert refused.status_code == 422
    assert [(e["row"], e["field"], e["rule"]) for e in refused.json()["errors"]] == [
        (2, "usable", "int_type"),
        (3, "bed_type", "literal_error"),
    ]
    assert forbidden.status_code == 403
    events = published(settings)
    assert [e["facility_id"] for e in events] == ["HJ-0001", "HJ-0003"]
    assert events[0]["note"] == "満床に近い" and events[0]["actor"]["user"] == "his.hj1"
