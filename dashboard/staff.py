"""What the staff and coordination pages share: sending, receipts, problems, the request dialog."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import streamlit as st
from kafka.errors import KafkaError

from bedboard.settings import Settings
from dashboard import auth, data
from dashboard.i18n import bed_label, lang, local_time
from dashboard.i18n_staff import TEXT, t
from dashboard.model import display_name
from dashboard.widgets import escape_markdown
from producers import forms
from producers.identity import MAY
from producers.publisher import Publisher, Receipt
from schemas.events import BED_TYPES, AgeBand, Event, Need
from schemas.problems import Problem

log = logging.getLogger(__name__)
DRAIN_EVERY_S = 5.0
AGE_BANDS: tuple[str, ...] = AgeBand.__args__  # type: ignore[attr-defined]
NEEDS: tuple[str, ...] = Need.__args__  # type: ignore[attr-defined]
SEVERITIES = ("mild", "moderate", "severe")


def publisher() -> Publisher:
    """This process's publisher (one outbox, one producer), for the current settings."""
    config = data.settings()
    return _publisher(config.bootstrap_servers, config.topic_prefix, str(config.outbox_path))


@st.cache_resource(show_spinner=False)
def _publisher(bootstrap: str, prefix: str, outbox: str) -> Publisher:
    made = Publisher(data.settings())
    # Queued submissions go out when the broker is back, even if nobody submits again.
    threading.Thread(target=_drain, args=(made,), name="bedboard-outbox", daemon=True).start()
    return made


def _drain(made: Publisher) -> None:
    wake = threading.Event()
    while not wake.wait(DRAIN_EVERY_S):
        try:
            if made.queued:
                made.drain()
        except (KafkaError, OSError, sqlite3.Error) as error:
            log.warning("outbox drain failed, retrying: %s", error)


def send(events: Sequence[Event]) -> Receipt:
    """Publish events; what the broker does not acknowledge is kept in the outbox."""
    return publisher().publish(list(events))


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
    if head in BED_TYPES and tail:
        return f"{bed_label(head)}・{t('field.' + tail)}"
    key = f"field.{field}"
    return t(key) if key in TEXT else field


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
    return f"{STATUS_ICONS.get(status, '')} **{t('status.' + status)}**"


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
) -> None:
    """Open the dialog that sends `placement.requested` to one facility (from Find a bed)."""
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
                t("placement.age_band"), AGE_BANDS, index=_index(AGE_BANDS, age_band, 7)
            )
            level = right.selectbox(
                t("placement.severity"),
                SEVERITIES,
                index=_index(SEVERITIES, severity, 1),
                format_func=lambda s: t(f"severity.{s}"),
            )
            wanted = st.multiselect(
                t("placement.needs"),
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


def cursor() -> Any:
    """A fresh cursor on this process's replica, for one page run (live reads, no cache)."""
    return data.replica().cursor()
