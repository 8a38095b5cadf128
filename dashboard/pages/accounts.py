"""アカウント管理 / Accounts: an admin adds, changes, resets, disables and signs out accounts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import auth
from dashboard.accounts import User, UserError, UsersFile, new_password, users_path
from dashboard.data import settings
from dashboard.texts import lang, t
from dashboard.widgets import facility_ids, secret_shown_once, show_secret_once
from producers.identity import ROLES

SHOWN_ONCE = "accounts_new_password"  # (message, password): shown on the next run, then gone

identity = auth.require_page("accounts")
store = UsersFile(users_path(settings()))
log = auth.audit_log()
st.subheader(t("page.accounts"))
secret_shown_once(SHOWN_ONCE)


def show_once(username: str, password: str) -> None:
    show_secret_once(SHOWN_ONCE, t("accounts.password_once", user=username), password)


try:
    users = store.load()
except UserError as error:
    st.error(error.message(lang()), icon=":material/error:")
    st.stop()

table = pd.DataFrame(
    [
        {
            t("auth.username"): u.username,
            t("accounts.role"): t(f"role.{u.role}"),
            t("accounts.facilities"): ", ".join(u.facilities),
            t("col.status"): t("accounts.disabled" if u.disabled else "accounts.active"),
            t("accounts.sessions"): auth.session_store().count(u.username),
        }
        for u in users.values()
    ]
)
st.dataframe(table, hide_index=True, width="stretch")

with st.expander(t("accounts.add"), icon=":material/person_add:"):
    with st.form("account_add", clear_on_submit=True):
        name = st.text_input(t("auth.username"), key="add_username")
        role = st.selectbox(t("accounts.role"), ROLES, format_func=lambda r: t(f"role.{r}"))
        where = st.text_input(t("accounts.facilities"), help=t("accounts.facilities_help"))
        added = st.form_submit_button(t("accounts.add"), type="primary")
    if added:
        password = new_password()
        try:
            store.add(name.strip(), role, password, facility_ids(where))
        except UserError as error:
            st.error(error.message(lang()), icon=":material/error:")
        else:
            log.record(identity.username, "account_added", name.strip(), f"role={role}")
            show_once(name.strip(), password)

if not users:
    st.stop()
st.markdown(f"#### {t('accounts.change')}")
chosen: User = users[
    st.selectbox(t("accounts.pick"), sorted(users), key="account_chosen") or sorted(users)[0]
]
with st.form("account_change"):
    role = st.selectbox(
        t("accounts.role"),
        ROLES,
        index=ROLES.index(chosen.role),
        format_func=lambda r: t(f"role.{r}"),
        key=f"role:{chosen.username}",
    )
    where = st.text_input(
        t("accounts.facilities"), ", ".join(chosen.facilities), key=f"fac:{chosen.username}"
    )
    saved = st.form_submit_button(t("accounts.save"), type="primary")
if saved:
    try:
        store.change(chosen.username, role=role, facilities=facility_ids(where))
    except UserError as error:
        st.error(error.message(lang()), icon=":material/error:")
    else:
        log.record(identity.username, "account_changed", chosen.username,
                   f"role={role} facilities={','.join(facility_ids(where))}")  # fmt: skip
        st.rerun()

reset, ban, end = st.columns(3)
if reset.button(t("accounts.reset"), icon=":material/lock_reset:", width="stretch"):
    password = new_password()
    store.change(chosen.username, password=password)
    log.record(identity.username, "password_reset", chosen.username)
    auth.end_sessions(chosen.username, identity.username)  # the old password's sessions too
    show_once(chosen.username, password)
if chosen.username == identity.username:
    ban.caption(t("accounts.not_yourself"))
elif ban.button(
    t("accounts.enable" if chosen.disabled else "accounts.disable"),
    icon=":material/person_check:" if chosen.disabled else ":material/person_off:",
    width="stretch",
):
    store.change(chosen.username, disabled=not chosen.disabled)
    action = "account_enabled" if chosen.disabled else "account_disabled"
    log.record(identity.username, action, chosen.username)
    if not chosen.disabled:
        auth.end_sessions(chosen.username, identity.username)
    st.rerun()
if end.button(t("accounts.end_sessions"), icon=":material/logout:", width="stretch"):
    ended = auth.end_sessions(chosen.username, identity.username)
    st.toast(t("accounts.ended", n=ended, user=chosen.username))
