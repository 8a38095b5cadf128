"""The hook where Find a bed sends a placement request from: it opens the request dialog."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import staff

PENDING = "placement_pending"


def request(facility_id: str, bed_type: str, patient: dict[str, Any]) -> None:
    """A coordinator asked this facility to take the patient; no names or identifiers here.

    `patient` holds only age_band, severity and needs (the contract's `placement.requested`),
    and the case_id of the waiting list when the request places one of its cases.
    """
    st.session_state[PENDING] = {"facility_id": facility_id, "bed_type": bed_type, **patient}
    # The button sits in a live fragment; the dialog opens from the page, so rerun all of it.
    st.rerun()


def show_pending() -> None:
    """Open the request dialog for the facility just chosen (once per click)."""
    pending = st.session_state.pop(PENDING, None)
    if pending:
        staff.request_placement(
            pending["facility_id"],
            pending["bed_type"],
            age_band=pending.get("age_band"),
            severity=pending.get("severity"),
            needs=pending.get("needs", ()),
            case_id=pending.get("case_id"),
        )
