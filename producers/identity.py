"""Who is signed in and what each role may send; pure, so producers and pages share it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from schemas import events

Role = Literal["hospital_staff", "coordinator", "official", "admin"]
ROLES: tuple[Role, ...] = ("hospital_staff", "coordinator", "official", "admin")
# The contract's actor.org for each role: who speaks in the events a person sends.
ORG_OF_ROLE: dict[str, str] = {
    "hospital_staff": "hospital",
    "coordinator": "health_centre",
    "official": "city_hall",
    "admin": "system",
}
# Who may speak in events (the contract's actor.user pattern) and for which facilities: the
# dashboard's accounts and the API's tokens follow the same rules.
USERNAME = events.USERNAME
FACILITY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
# Who may send what: the pages' role checks and the event builders share this one table.
MAY: dict[str, tuple[Role, ...]] = {
    "report": ("hospital_staff", "admin"),
    "respond": ("hospital_staff", "admin"),
    "request": ("coordinator", "admin"),
    "close": ("coordinator", "admin"),
    "notice": ("coordinator", "official", "admin"),
    # The city's word (contract v2): its sender is city hall or a health centre, never "system".
    "phase": ("coordinator", "official"),
}


@dataclass(frozen=True)
class Identity:
    """Who is signed in: what every event's actor and every permission check come from."""

    username: str
    role: Role
    facilities: tuple[str, ...] = ()

    @property
    def org(self) -> str:
        return ORG_OF_ROLE[self.role]

    def may(self, action: str) -> bool:
        """Whether this person's role may do an action of MAY (e.g. "report")."""
        return may(self.role, action)

    def may_report_for(self, facility_id: str) -> bool:
        """Staff speak only for their own facilities; an admin may act for any."""
        if self.role == "admin":
            return True
        return self.role == "hospital_staff" and facility_id in self.facilities


def may(role: str, action: str) -> bool:
    """Whether a role may do an action of MAY; an unknown action is allowed to no one."""
    return role in MAY.get(action, ())
