"""Capacity reports drafted by hospital systems (JSON, FHIR, HAVE) checked as one submission."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from producers.forms import Refused, actor_of
from producers.identity import Identity
from schemas.events import CapacityReported, to_json
from schemas.problems import Problem, problems_of
from schemas.records import Rejection, check


class NotYourFacility(Refused):
    """A draft speaks for a facility its sender is not bound to."""


@dataclass(frozen=True)
class Draft:
    """One report's fields as read from a document, before the actor is set and it is checked.

    `where` names the report in its document (e.g. `entry[2].resource`); empty for a lone one.
    """

    data: dict[str, Any]
    where: str = ""

    def field(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where and name else (self.where or name)


def capacity_events(
    drafts: Sequence[Draft], identity: Identity, *, now: datetime
) -> list[CapacityReported]:
    """Every draft as an event by `identity`, or Refused naming every problem of every draft.

    A document is sent whole or not at all, so one bad report refuses them all. Whatever actor a
    draft carries is replaced: the actor is who authenticated, never what was sent.
    """
    foreign = [
        Problem(d.field("facility_id"), "not_your_facility", (("facility_id", facility_id),))
        for d in drafts
        if isinstance(facility_id := d.data.get("facility_id"), str)
        and not identity.may_report_for(facility_id)
    ]
    if foreign:
        raise NotYourFacility(foreign)
    events: list[CapacityReported] = []
    problems: list[Problem] = []
    for draft in drafts:
        data = draft.data | {"actor": actor_of(identity)}
        try:
            event = CapacityReported.model_validate(data)
        except ValidationError as error:
            problems += [
                Problem(draft.field(p.field), p.rule, p.context)
                for p in problems_of(error, tagged=False)
            ]
            continue
        # The consumers' own check of the record they will receive (its size, its time).
        outcome = check(to_json(event), now)
        if isinstance(outcome, Rejection):
            problems += [Problem(draft.field(p.field), p.rule, p.context) for p in outcome.problems]
            continue
        events.append(event)
    if problems:
        raise Refused(problems)
    return events
