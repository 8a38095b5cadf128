"""APIトークン / API tokens: an admin issues (shown once), lists and revokes the API's tokens."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from dashboard import auth
from dashboard.data import settings
from dashboard.formats import local_time
from dashboard.texts import lang, t
from dashboard.widgets import facility_ids, secret_shown_once, show_secret_once
from producers.tokens import Token, TokenError, TokenStore

SHOWN_ONCE = "tokens_new_token"  # (message, token): shown on the next run, then gone
REVOKED = "tokens_revoked"  # what was revoked, said once after the table shows it

identity = auth.require_page("tokens")
store = TokenStore(settings().tokens_path)
log = auth.audit_log()
st.subheader(t("page.tokens"))
st.caption(t("tokens.lead"))
zone = settings().zone
secret_shown_once(SHOWN_ONCE)
if revoked_now := st.session_state.pop(REVOKED, None):
    st.success(revoked_now, icon=":material/key_off:")


def when(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp) if stamp else None


def kind(token: Token) -> str:
    return t("tokens.read" if token.read_only else "tokens.submit")


def refused(error: TokenError) -> None:
    """The rule broken, naming the field as this page calls it."""
    field = {"--facility": t("accounts.facilities"), "--name": t("tokens.name")}
    st.error(error.message(lang(), field.get(error.field)), icon=":material/error:")


try:
    tokens = store.load()
except TokenError as error:
    refused(error)
    st.stop()

if tokens:
    table = pd.DataFrame(
        [
            {
                t("tokens.id"): token.id,
                t("tokens.name"): token.name,
                t("tokens.kind"): kind(token),
                t("accounts.facilities"): ", ".join(token.facilities) or "—",
                t("tokens.issued_at"): local_time(when(token.created_at), zone),
                t("tokens.revoked_at"): local_time(when(token.revoked_at), zone),
            }
            for token in sorted(tokens.values(), key=lambda token: token.created_at, reverse=True)
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")
else:
    st.info(t("tokens.none"))

with st.expander(t("tokens.issue"), icon=":material/key:", expanded=not tokens):
    with st.form("token_issue", clear_on_submit=True):
        read_only = st.radio(
            t("tokens.kind"),
            (False, True),
            format_func=lambda read: t("tokens.read" if read else "tokens.submit"),
            horizontal=True,
        )
        where = st.text_input(t("accounts.facilities"), help=t("tokens.facilities_help"))
        name = st.text_input(t("tokens.name"), help=t("tokens.name_help"))
        issued = st.form_submit_button(t("tokens.issue"), type="primary")
    if issued:
        try:
            token, secret = store.add(
                facility_ids(where), name=name.strip() or None, read_only=bool(read_only)
            )
        except TokenError as error:
            refused(error)
        else:
            log.record(identity.username, "token_issued", f"{token.id} {token.name}", token.scope)
            show_secret_once(SHOWN_ONCE, t("tokens.once", id=token.id, name=token.name), secret)

active = {token.id: token for token in tokens.values() if token.active}
if active:
    st.markdown(f"#### {t('tokens.revoke')}")
    chosen = st.selectbox(
        t("tokens.pick"),
        list(active),
        format_func=lambda token_id: (
            f"{token_id} · {active[token_id].name} · "
            f"{kind(active[token_id])} · {', '.join(active[token_id].facilities) or '—'}"
        ),
        key="token_chosen",
    )
    if chosen and st.button(t("tokens.revoke_now"), icon=":material/key_off:"):
        revoked = store.revoke(chosen)
        log.record(identity.username, "token_revoked", f"{revoked.id} {revoked.name}")
        st.session_state[REVOKED] = t("tokens.revoked", id=revoked.id, name=revoked.name)
        st.rerun()
