"""通知設定 / Notifications: each person's webhooks and e-mails; an admin's for anyone, and the
deliveries that failed."""

from __future__ import annotations

from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from consumers.notify_rules import KINDS, Subscription
from consumers.notify_store import CHANNELS, NotifyStore, SubscriptionError
from dashboard import auth, data, staff
from dashboard.accounts import UserError, UsersFile, users_path
from dashboard.texts import LANG_NAMES, LANGS, bed_label, lang, t
from dashboard.widgets import escape_markdown
from schemas.events_v2 import BED_TYPES_V2

identity = auth.require_page("notifications")
store = NotifyStore(data.settings().notify_path)
admin = identity.role == "admin"
st.subheader(t("page.notifications"))
st.caption(t("subs.lead"))

# An admin speaks for anyone: the subscriptions shown and added are that person's.
whom, bound_to = (
    identity.username,
    (identity.facilities if identity.role == "hospital_staff" else None),
)
if admin:
    try:
        accounts = UsersFile(users_path(data.settings())).load()
    except UserError as error:
        st.error(error.message(lang()), icon=":material/error:")
        accounts = {}
    names = sorted(accounts) or [identity.username]
    mine = names.index(identity.username) if identity.username in names else 0
    whom = st.selectbox(t("subs.for_whom"), names, index=mine, key="subs_whom") or whom
    account = accounts.get(whom)
    staff_account = account is not None and account.role == "hospital_staff"
    bound_to = account.facilities if account is not None and staff_account else None

names_of = staff.facility_names()
registry = data.facilities()


def filters_text(sub: Subscription) -> str:
    """The kinds, then each filter named: what this subscription lets through."""
    every, comma = t("subs.any"), "、" if lang() == "ja" else ", "
    kinds = comma.join(t(f"notify.{k}") for k in KINDS if k in sub.kinds)
    filters = [
        (t("col.facility"), [staff.facility_label(f, names_of) for f in sorted(sub.facilities)]),
        (t("column.bed_type"), [bed_label(b) for b in sorted(sub.bed_types)]),
        (t("column.district"), sorted(sub.districts)),
    ]
    named = [f"{name}: {comma.join(values) or every}" for name, values in filters]
    return " · ".join(escape_markdown(part) for part in [kinds, *named])


def shown_target(sub: Subscription) -> str:
    """An e-mail address as it is; a webhook by its host only (its path is its secret)."""
    if sub.channel != "webhook":
        return sub.target
    parts = urlsplit(sub.target)
    return f"{parts.scheme}://{parts.netloc}/…"


def subscription_card(sub: Subscription) -> None:
    with st.container(border=True):
        what, remove = st.columns([5, 1], vertical_alignment="center")
        channel = t(f"subs.channel.{sub.channel}")
        what.markdown(f"**{channel}** · `{shown_target(sub)}` · {LANG_NAMES[sub.lang]}")
        what.caption(filters_text(sub))
        if remove.button(t("subs.remove"), key=f"subs_remove:{sub.id}", icon=":material/delete:"):
            store.remove(sub.id, None if admin else identity.username)
            auth.audit_log().record(identity.username, "subscription_removed", sub.username)
            st.toast(t("subs.removed"), icon=":material/delete:")
            st.rerun()


subscriptions = store.subscriptions(whom)
if not subscriptions:
    st.info(t("subs.none"), icon=":material/notifications_off:")
for subscription in subscriptions:
    subscription_card(subscription)

choosable = sorted(bound_to) if bound_to is not None else list(registry["facility_id"])
with st.expander(t("subs.add"), icon=":material/add_alert:", expanded=not subscriptions):
    with st.form("subs_add", clear_on_submit=True):
        channel = st.radio(
            t("subs.channel"), CHANNELS, format_func=lambda c: t(f"subs.channel.{c}"),
            horizontal=True,
        )  # fmt: skip
        target = st.text_input(t("subs.target"), max_chars=2000)
        kinds = st.multiselect(
            t("subs.kinds"),
            KINDS,
            default=["request", "answer"],
            format_func=lambda k: t(f"notify.{k}"),
        )
        facilities = st.multiselect(
            t("subs.facilities"), choosable, format_func=lambda f: staff.facility_label(f, names_of)
        )
        bed_types = st.multiselect(t("subs.bed_types"), BED_TYPES_V2, format_func=bed_label)
        districts = st.multiselect(t("subs.districts"), sorted(set(registry["district"].dropna())))
        message_lang = st.radio(
            t("subs.lang"), LANGS, index=LANGS.index(lang()), format_func=LANG_NAMES.get,
            horizontal=True,
        )  # fmt: skip
        added = st.form_submit_button(t("subs.save"), type="primary")
    if added:
        try:
            store.add(
                whom, channel or "webhook", target, kinds, facilities=facilities,
                bed_types=bed_types, districts=districts, lang=message_lang or lang(),
                bound_to=bound_to,
            )  # fmt: skip
        except SubscriptionError as error:
            st.error(error.message(lang()), icon=":material/error:")
        else:
            auth.audit_log().record(identity.username, "subscription_added", whom, channel or "")
            st.toast(t("subs.saved"), icon=":material/notifications_active:")
            st.rerun()

if admin:
    st.markdown(f"#### {t('subs.failures')}")
    troubles = store.troubles()
    if not troubles:
        st.caption(t("subs.no_failures"))
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    t("col.status"): [
                        t("subs.failed" if d.status == "failed" else "subs.retrying")
                        for d in troubles
                    ],
                    t("auth.username"): [d.username for d in troubles],
                    t("subs.kinds"): [t(f"notify.{d.kind}") for d in troubles],
                    t("subs.channel"): [t(f"subs.channel.{d.channel}") for d in troubles],
                    t("subs.attempts"): [d.attempts for d in troubles],
                    t("subs.error"): [d.last_error for d in troubles],
                    t("placement.updated_at"): [d.done_at or d.created_at for d in troubles],
                }
            ),
            hide_index=True,
            width="stretch",
        )
