"""What the staff and coordination pages share: sending, receipts, problems, the request dialog."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import get_args

import streamlit as st

from bedboard.settings import Settings
from dashboard import auth, data, runtime
from dashboard.formats import local_time
from dashboard.model import display_name
from dashboard.texts import bed_label, lang, t
from dashboard.widgets import escape_markdown
from producers import forms
from producers.identity import MAY
from producers.publisher import Publisher, Receipt
from schemas import glossary
from schemas.events import BED_TYPES, AgeBand, Event, Need
from schemas.problems import Problem

AGE_BANDS: tuple[str, ...] = get_args(AgeBand)
NEEDS: tuple[str, ...] = get_args(Need)
SEVERITIES = glossary.PATIENT_SEVERITIES
# A form field -> the text its input is labelled with, so that a problem names it the same way.
FIELDS = {
    "usable": "column.usable",
    "occupied": "column.occupied",
    "note": "col.note",
    "reason": "placement.reason",
    "title": "field.title",
    "body": "field.body",
    "expires_at": "notices.expires",
    "facility_id": "col.facility",
    "phase": "phase.current",
    "from_facility": "waiting.from_facility",
}


def publisher() -> Publisher:
    """This process's one publisher (one outbox, one producer), owned by the runtime."""
    return runtime.get().publisher


def send(events: Sequence[Event], source: str = "form") -> Receipt:
    """Publish events (a form's, or "csv" from a file); unacknowledged ones wait in the outbox."""
    return publisher().publish(list(events), source=source)


def show_receipt(receipt: Receipt, settings: Settings) -> None:
    """Received and live, or queued in the outbox: never a false success nor a false failure."""
    if receipt.status == "live":
        now = local_time(data.now(), settings.zone)
        st.success(t("sent.live", time=now), icon=":material/check_circle:")
    else:
        st.warning(t("sent.queued", n=publisher().queued), icon=":material/outbox:")


def field_label(field: str) -> str:
    """A problem's field as the form names it: adult_icu.occupied -> 成人ICU・使用中."""
    head, _, tail = field.partition(".")
    if head in BED_TYPES and tail in FIELDS:
        return f"{bed_label(head)}・{t(FIELDS[tail])}"
    return t(FIELDS[field]) if field in FIELDS else field


def describe(problem: Problem) -> str:
    """One problem as a sentence naming the field and the rule, in the session's language."""
    text = forms.message(Problem("", problem.rule, problem.context), lang())
    return f"{field_label(problem.field)}: {text}" if problem.field else text


def show_problems(problems: Sequence[Problem]) -> None:
    st.error(
        t("form.problems") + "\n\n" + "\n".join(f"- {_literal(describe(p))}" for p in problems),
        icon=":material/error:",
    )


def _literal(text: str) -> str:
    # Messages may quote what was typed; Markdown must not interpret it.
    return escape_markdown(text)


STATUS_ICONS = {
    "requested": ":orange[:material/hourglass_top:]",
    "accepted": ":green[:material/check_circle:]",
    "declined": ":red[:material/cancel:]",
    "admitted": ":blue[:material/local_hospital:]",
    "cancelled": ":gray[:material/block:]",
    "expired": ":gray[:material/timer_off:]",
}


def status_markdown(status: str) -> str:
    """A placement's status as icon and word (Markdown): never colour alone."""
    return f"{STATUS_ICONS.get(status, '')} **{t('placement.' + status)}**"


def patient_text(age_band: str, severity: str, needs: Sequence[str]) -> str:
    comma = ", " if lang() == "en" else "、"
    needs_text = comma.join(t(f"need.{n}") for n in needs) or t("placement.none_needs")
    return (
        t("placement.patient", age=age_band, severity=t(f"severity.{severity}"))
        + f" · {needs_text}"
    )


def request_placement(
    facility_id: str,
    bed_type: str,
    *,
    age_band: str | None = None,
    severity: str | None = None,
    needs: Sequence[str] = (),
    case_id: str | None = None,
) -> None:
    """Open the dialog that sends `placement.requested` to one facility (from Find a bed, or
    for a case of the waiting list)."""
    facility_name = facility_label(facility_id, facility_names())

    @st.dialog(t("request.title"), width="medium")
    def dialog() -> None:
        identity = auth.require(*MAY["request"])
        st.markdown(
            f"**{_literal(t('request.to', facility=facility_name, bed=bed_label(bed_type)))}**"
        )
        st.caption(t("form.no_identifiers"))
        with st.form(f"request-{facility_id}-{bed_type}"):
            left, right = st.columns(2)
            age = left.selectbox(
                t("patient.age_band"), AGE_BANDS, index=_index(AGE_BANDS, age_band, 7)
            )
            level = right.selectbox(
                t("patient.severity"),
                SEVERITIES,
                index=_index(SEVERITIES, severity, 1),
                format_func=lambda s: t(f"severity.{s}"),
            )
            wanted = st.multiselect(
                t("patient.needs"),
                NEEDS,
                default=[n for n in needs if n in NEEDS],
                format_func=lambda n: t(f"need.{n}"),
                placeholder=t("form.choose"),
            )
            bed = st.selectbox(
                t("placement.bed_type"),
                BED_TYPES,
                index=BED_TYPES.index(bed_type) if bed_type in BED_TYPES else 0,
                format_func=bed_label,
            )
            note = st.text_area(t("placement.note"), max_chars=500, height=80)
            submitted = st.form_submit_button(t("request.send"), type="primary")
        if not submitted:
            return
        try:
            event = forms.placement_request(
                identity,
                facility_id,
                bed,
                age_band=age,
                severity=level,
                needs=wanted,
                note=note,
                case_id=case_id,
                now=data.now(),
            )
        except forms.Refused as refused:
            show_problems(refused.problems)
            return
        receipt = send([event])
        show_receipt(receipt, data.settings())
        st.info(t("request.sent"), icon=":material/forum:")

    dialog()


def _index(options: Sequence[str], value: str | None, default: int) -> int:
    return options.index(value) if value in options else default


def when(moment: datetime | None) -> str:
    """A stored UTC time in the configured zone."""
    return local_time(moment, data.settings().zone)


def facility_names() -> dict[str, str]:
    """Facility id -> name in the reader's language, for every registered facility."""
    registry = data.facilities()
    return {
        row.facility_id: display_name(row.name_ja, row.name_en, row.facility_id, lang())
        for row in registry.itertuples(index=False)
    }


def facility_label(facility_id: str, names: dict[str, str]) -> str:
    name = names.get(facility_id)
    return f"{name} ({facility_id})" if name and name != facility_id else facility_id
