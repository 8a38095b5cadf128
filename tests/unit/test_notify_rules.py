"""The notifications' pure rules and their store: which events notify whom, in what words, once."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from bedboard.acls import GRANTS, NOTIFY_READS
from consumers.notify_rules import (
    REGISTRY_TOPIC,
    About,
    Context,
    Subscription,
    kind_of,
    matches,
    message,
    notified_topics,
    retry_delay,
)
from consumers.notify_store import Delivery, NotifyStore, SubscriptionError
from tests.factories import (
    event,
    placement_closed,
    placement_requested,
    placement_responded,
    registration,
)


def alert(kind: str, **detail: object) -> object:
    return event(
        "alert.raised",
        actor={"org": "system", "user": "alerts"},
        alert_id=f"HJ-0001:{kind}",
        facility_id="HJ-0001",
        kind=kind,
        detail=detail,
    )


def test_each_event_type_names_its_kind_in_one_table() -> None:
    pid = str(uuid.uuid4())
    assert kind_of(placement_requested(pid)) == "request"
    assert kind_of(placement_responded(pid)) == "answer"
    assert kind_of(placement_closed(pid, "expired")) == "lapse"
    assert kind_of(placement_closed(pid, "admitted")) is None
    assert kind_of(alert("occupancy_high", bed_type="hcu")) == "capacity"
    assert kind_of(alert("not_accepting")) == "capacity"
    assert kind_of(alert("stale_report")) == "stale"
    assert kind_of(registration("HJ-0001")) is None


def test_the_notifier_may_read_what_it_tells_of_and_no_more() -> None:
    assert set(NOTIFY_READS) == {*notified_topics(), REGISTRY_TOPIC}
    reads = {g.name for g in GRANTS if g.principal == "notify" and g.resource == "topic"}
    assert reads == set(NOTIFY_READS)
    assert not [g for g in GRANTS if g.principal == "notify" and g.operation == "WRITE"]


def test_a_later_event_of_a_placement_is_about_its_requests_facility_and_bed() -> None:
    pid = str(uuid.uuid4())
    context = Context()
    context.learn(registration("HJ-0003", "西部地区", name={"ja": "西病院", "en": "West"}))
    context.learn(placement_requested(pid, "HJ-0003", bed_type="hcu"))
    about = context.about(placement_closed(pid, "expired"))
    assert about == About("HJ-0003", "hcu", "西部地区", "西病院", "West")
    assert context.about(placement_closed(str(uuid.uuid4()), "expired")) == About()


def sub(**fields: object) -> Subscription:
    defaults: dict[str, object] = {
        "id": 1,
        "username": "u",
        "channel": "webhook",
        "target": "https://hooks.example/x",
        "kinds": frozenset({"request", "capacity"}),
    }
    return Subscription(**(defaults | fields))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "kind", "about", "expected"),
    [
        ({}, "request", About("HJ-0001"), True),
        ({}, "answer", About("HJ-0001"), False),  # a kind not chosen
        ({"facilities": frozenset({"HJ-0002"})}, "request", About("HJ-0001"), False),
        ({"bed_types": frozenset({"hcu"})}, "request", About("HJ-0001", "hcu"), True),
        ({"bed_types": frozenset({"hcu"})}, "request", About("HJ-0001"), False),  # unknown
        ({"districts": frozenset({"東部"})}, "request", About("H", None, "東部"), True),
        ({"bound_to": frozenset({"HJ-0002"})}, "request", About("HJ-0001"), False),
        ({"bound_to": frozenset({"HJ-0002"})}, "capacity", About("HJ-0001"), True),  # public
    ],
)
def test_a_subscription_hears_what_its_filters_let_through(
    fields: dict[str, object], kind: str, about: About, expected: bool
) -> None:
    assert matches(sub(**fields), kind, about) is expected


def test_a_message_speaks_the_subscribers_language_and_names_no_one() -> None:
    request = placement_requested(str(uuid.uuid4()), "HJ-0003", note="田中様 ご家族同伴")
    about = About("HJ-0003", "adult_icu", "西部地区", "西病院", "West")
    ja, en = message("request", request, about, "ja"), message("request", request, about, "en")
    assert ja.text == "新しい受入依頼: 西病院 (西部地区) · 成人ICU · 70-79 · 重症 · 酸素投与"
    assert en.subject == "[Bedboard] New placement request: West"
    assert "田中" not in ja.text + en.text  # the free-text note never leaves the dashboard


def test_retries_wait_twice_as_long_each_time_up_to_the_longest() -> None:
    assert [retry_delay(n, 5, 60) for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]


def test_the_store_owes_a_delivery_once_whatever_reads_it_twice(tmp_path: Path) -> None:
    store = NotifyStore(tmp_path / "notify.sqlite")
    s = store.add("coordinator", "webhook", "http://127.0.0.1:9/x", ["request"])
    owed = Delivery("e1", s.id, "coordinator", "request", "webhook", s.target, "subj", "text")
    assert store.owe([owed, owed], now=0) == 1
    assert store.owe([owed], now=0) == 0
    (due,) = store.due(now=1)
    store.attempt_failed(due, "HTTP 503", retry_at=10)
    assert store.due(now=5) == [] and store.pending() == 1
    (again,) = store.due(now=10)
    store.sent(again)
    assert store.pending() == 0 and store.deliveries("sent")[0].attempts == 2
    store.remove(s.id, "coordinator")
    assert store.subscriptions() == []


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"target": "http://hooks.example/x"}, "target", "bad_url"),
        ({"target": "ftp://hooks.example/x"}, "target", "bad_url"),
        ({"channel": "email", "target": "not an address"}, "target", "bad_email"),
        ({"channel": "email", "target": "a@b.example\nBcc: x@y.example"}, "target", "bad_email"),
        ({"kinds": []}, "kinds", "no_kinds"),
        ({"kinds": ["gossip"]}, "kinds", "bad_kind"),
        ({"bed_types": ["sofa"]}, "bed_types", "bad_bed_type"),
        ({"facilities": ["HJ 1"]}, "facilities", "bad_facility_id"),
        ({"facilities": ["HJ-0002"], "bound_to": ["HJ-0001"]}, "facilities", "not_your_facility"),
        ({"districts": [" "]}, "districts", "bad_district"),
        ({"lang": "fr"}, "lang", "bad_lang"),
    ],
)
def test_a_subscription_that_breaks_a_rule_is_refused_by_name(
    tmp_path: Path, changes: dict[str, object], field: str, rule: str
) -> None:
    store = NotifyStore(tmp_path / "notify.sqlite")
    wanted: dict[str, object] = {
        "channel": "webhook",
        "target": "https://hooks.slack.com/services/T/B/x",
        "kinds": ["request"],
    } | changes
    with pytest.raises(SubscriptionError) as refused:
        store.add("staff.hj0001", **wanted)  # type: ignore[arg-type]
    assert (refused.value.field, refused.value.rule) == (field, rule)
    assert refused.value.message("ja").startswith(f"{field}: ")
    assert store.subscriptions() == []


def test_a_person_removes_only_their_own_subscription(tmp_path: Path) -> None:
    store = NotifyStore(tmp_path / "notify.sqlite")
    mine = store.add("a", "email", "a@hachioji.example", ["stale"])
    with pytest.raises(SubscriptionError):
        store.remove(mine.id, "b")
    store.remove(mine.id)  # an admin may
    assert store.subscriptions("a") == []
