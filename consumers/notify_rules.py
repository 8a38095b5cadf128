"""The pure rules of notifications: which events notify, whom, and in what words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from schemas import glossary
from schemas.events import Event, FacilityRegistered
from schemas.topics import TOPIC_OF_TYPE

# What a person can subscribe to, in the order the page lists them.
KINDS = ("request", "answer", "lapse", "capacity", "stale")

# Which events notify, and as which kind (None: this one does not). A new event type that
# should notify is one line here; its topic is then read by the notifier.
KIND_OF_EVENT: dict[str, Callable[[Any], str | None]] = {
    "placement.requested": lambda e: "request",
    "placement.responded": lambda e: "answer",
    "placement.closed": lambda e: "lapse" if e.outcome == "expired" else None,
    # The placements processor's (contract v2): no answer in time, or a bed hold that lapsed.
    "placement.lapsed": lambda e: "lapse",
    "alert.raised": lambda e: "stale" if e.kind == "stale_report" else "capacity",
}
# Placement kinds speak of one patient's request: hospital staff hear only of their own.
PLACEMENT_KINDS = frozenset({"request", "answer", "lapse"})
# Read for context only: which district a facility is in, and its name.
REGISTRY_TOPIC = "facilities"


def notified_topics() -> list[str]:
    """The short names of the topics whose events may notify."""
    return sorted({TOPIC_OF_TYPE[kind] for kind in KIND_OF_EVENT})


def kind_of(event: Event) -> str | None:
    """The notification kind of an event, or None if it notifies nobody."""
    rule = KIND_OF_EVENT.get(getattr(event, "type", ""))
    return rule(event) if rule else None


@dataclass(frozen=True)
class About:
    """What a notification is about: the facility, its district and name, and the bed type."""

    facility_id: str | None = None
    bed_type: str | None = None
    district: str | None = None
    name_ja: str | None = None
    name_en: str | None = None


@dataclass
class Context:
    """What the notifier knows besides the event: registrations and each placement's request."""

    facilities: dict[str, FacilityRegistered] = field(default_factory=dict)
    placements: dict[str, tuple[str, str]] = field(default_factory=dict)  # id: facility, bed

    def learn(self, event: Event) -> None:
        """Remember what later events will need to be understood."""
        if isinstance(event, FacilityRegistered):
            self.facilities[event.facility_id] = event
        elif event.type == "placement.requested":  # type: ignore[attr-defined]
            request: Any = event
            self.placements[str(request.placement_id)] = (request.facility_id, request.bed_type)

    def about(self, event: Event) -> About:
        """The facility, district and bed type an event concerns, as far as known."""
        facility_id: str | None = getattr(event, "facility_id", None)
        bed_type: str | None = getattr(event, "bed_type", None)
        if placement_id := getattr(event, "placement_id", None):
            known_facility, known_bed = self.placements.get(str(placement_id), (None, None))
            facility_id, bed_type = facility_id or known_facility, bed_type or known_bed
        detail = getattr(event, "detail", None)
        if bed_type is None and isinstance(detail, dict):
            bed_type = detail.get("bed_type")
        registered = self.facilities.get(facility_id or "")
        if registered is None:
            return About(facility_id, bed_type)
        name = registered.name
        return About(facility_id, bed_type, registered.district, name.ja, name.en)


@dataclass(frozen=True)
class Subscription:
    """One person's wish to hear of some kinds of events, by one channel, narrowed by filters."""

    id: int
    username: str
    channel: str  # "webhook" or "email"
    target: str  # the webhook's URL or the e-mail address
    kinds: frozenset[str]
    facilities: frozenset[str] = frozenset()  # empty: any
    bed_types: frozenset[str] = frozenset()
    districts: frozenset[str] = frozenset()
    lang: str = "ja"
    # Hospital staff: the facilities of their account (None: anyone's, for the other roles).
    bound_to: frozenset[str] | None = None


def matches(subscription: Subscription, kind: str, about: About) -> bool:
    """Whether this subscription wants to hear of an event of this kind about this."""
    if kind not in subscription.kinds:
        return False
    bound = subscription.bound_to
    if kind in PLACEMENT_KINDS and bound is not None and about.facility_id not in bound:
        return False
    for wanted, value in (
        (subscription.facilities, about.facility_id),
        (subscription.bed_types, about.bed_type),
        (subscription.districts, about.district),
    ):
        if wanted and value not in wanted:
            return False  # an unknown value never passes a filter: better silent than wrong
    return True


@dataclass(frozen=True)
class Message:
    """What is sent: a subject (for e-mail) and a plain text (the webhook's `text`)."""

    subject: str
    text: str


def message(kind: str, event: Any, about: About, lang: str) -> Message:
    """The words of one notification: never a patient's identity (the events carry none)."""

    def w(key: str) -> str:
        return glossary.word(key, lang)

    name = (about.name_en if lang == "en" else None) or about.name_ja or about.facility_id or "-"
    where = name + (f" ({about.district})" if about.district else "")
    parts = [where]
    if about.bed_type:
        parts.append(glossary.bed_type(about.bed_type, lang))
    if kind == "request":
        patient = event.patient
        needs = ", ".join(w(f"need.{need}") for need in patient.needs)
        parts += [patient.age_band, w(f"severity.{patient.severity}")] + ([needs] if needs else [])
    elif kind == "answer":
        parts.append(w(f"placement.{event.decision}"))
        if event.reason:
            parts.append(event.reason)
    elif kind in ("capacity", "stale"):
        parts.append(w(f"alert.{event.kind}"))
    title = w(f"notify.{kind}")
    return Message(subject=f"[Bedboard] {title}: {name}", text=f"{title}: " + " · ".join(parts))


def retry_delay(attempts: int, first: float, longest: float) -> float:
    """Seconds to wait after the attempts-th failure: doubling from `first`, at most `longest`."""
    return float(min(first * 2 ** max(attempts - 1, 0), longest))
