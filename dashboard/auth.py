"""Sign-in, sessions that outlive a reload, and the server-side role check atop every page.

A sign-in starts a session in the server's store (dashboard/sessions.py) and hands its id to the
browser as an HttpOnly cookie through dashboard/server.py; a new tab, a reload or a reconnect
finds the session again from that cookie, until it is idle, too old, signed out or ended.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import streamlit as st

from dashboard import data, navigation, widgets
from dashboard.accounts import USERNAME, User, UserError, UsersFile, users_path
from dashboard.audit import AuditLog
from dashboard.sessions import COOKIE, HANDOFFS, SessionStore, digest
from dashboard.texts import t
from dashboard.throttle import LoginThrottle, client_of
from producers.identity import Identity

log = logging.getLogger("bedboard.auth")
SESSION_KEY = "bedboard_session"
NOTICE_KEY = "bedboard_auth_notice"
HANDOFF_KEY = "bedboard_cookie_code"  # a one-time code, waiting to become the session cookie
CLEAR_KEY = "bedboard_cookie_clear"  # signed out: the browser's cookie is to be removed
SESSION_URL = "bedboard/session"  # dashboard/server.py's endpoint, under server.baseUrlPath


@dataclass(frozen=True)
class Session:
    """A signed-in person in one browser session, until `expires_at` (UTC)."""

    identity: Identity
    expires_at: datetime  # the absolute end; the idle end is the store's
    via: str  # "password" or "sso"
    key: str | None = None  # the hash of its id in the store; None: made in-process (AppTest)


@st.cache_resource(show_spinner=False)
def throttle() -> LoginThrottle:
    """One per server process, shared by every browser session."""
    return LoginThrottle()


def client_address() -> str | None:
    """The address a sign-in comes from (BEDBOARD_TRUSTED_PROXY_HEADER behind a proxy)."""
    header = data.settings().trusted_proxy_header
    return client_of(st.context.headers, st.context.ip_address, header)


def sso_configured() -> bool:
    """Single sign-on only when an [auth] section exists in the secrets."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all
        return False


@st.cache_resource(show_spinner=False)
def _session_store(path: str, idle: float, ttl: float) -> SessionStore:
    return SessionStore(Path(path), idle=timedelta(seconds=idle), ttl=timedelta(seconds=ttl))


def session_store() -> SessionStore:
    """The server's sessions, in the data dir, with the configured idle and absolute ends."""
    settings = data.settings()
    return _session_store(
        str(settings.sessions_path),
        settings.session_idle.total_seconds(),
        settings.session_ttl.total_seconds(),
    )


def audit_log() -> AuditLog:
    return AuditLog(data.settings().audit_path)


def current() -> Identity | None:
    """The signed-in person, or None (no session, expired, ended, or the account changed)."""
    session: Session | None = st.session_state.get(SESSION_KEY) or _from_cookie()
    if session is None:
        return _from_sso()
    if datetime.now(UTC) >= session.expires_at:
        _end(session, t("auth.expired"))
        return None
    # The store is the authority on the session: signed out in another tab, or ended by an admin.
    if session.key is not None and session_store().find(session.key) is None:
        _end(session, t("auth.session_gone"))
        return None
    # The users file is the authority on the account: removed, disabled or changed, it is out.
    stored = _users().get(session.identity.username)
    if stored is None or stored.disabled or stored.identity != session.identity:
        _end(session, t("auth.ended"))
        return None
    return session.identity


def require(*roles: str) -> Identity:
    """Stop the page unless someone with one of these roles is signed in (all roles if none)."""
    identity = current()
    if identity is None:
        login_form()
        st.stop()
    if roles and identity.role not in roles:
        log.warning("refused %s (%s) a page for %s", identity.username, identity.role, roles)
        st.error(t("auth.forbidden", role=t(f"role.{identity.role}")), icon=":material/block:")
        st.stop()
    return identity


def require_page(page: str) -> Identity:
    """Stop the page unless the navigation table lets the signed-in person's role open it."""
    return require(*navigation.BY_NAME[page].roles)


def sign_in(username: str, password: str, client: str | None) -> Identity | str:
    """Check a password, slowed down after failures; the identity, or the text to show."""
    username = username.strip()
    if not username or not password:
        return t("auth.blank")
    # Checked and counted in one step: tries sent at once cannot all pass before any fails.
    wait = throttle().attempt(username, client)
    if wait > 0:
        return t("auth.throttled", seconds=int(wait + 0.999))
    store = UsersFile(users_path(data.settings()))
    user = store.verify(username, password) if USERNAME.match(username) else None
    if user is None:
        # Only known names are logged: people sometimes type their password as the username.
        known = _users().get(username)
        name = username if known else "?"
        log.warning("sign-in failed for %s from %s", name, client or "?")
        why = "disabled" if known and known.disabled else "wrong password" if known else "unknown"
        audit_log().record(name, "sign_in_refused", name, why, client or "")
        return t("auth.failed")
    throttle().succeeded(username, client)
    log.info("signed in %s (%s) from %s", user.username, user.role, client or "?")
    audit_log().record(user.username, "signed_in", user.username, "password", client or "")
    _start(user.identity, "password")
    return user.identity


def login_form() -> None:
    """The sign-in page: username and password, and single sign-on when it is configured."""
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        top, lang_col = st.columns([4, 1], vertical_alignment="center")
        top.subheader(t("auth.title"))
        with lang_col:
            widgets.language_switch()
        st.caption(t("auth.lead"))
        if notice := st.session_state.pop(NOTICE_KEY, None):
            st.info(notice, icon=":material/schedule:")
        if st.session_state.pop(CLEAR_KEY, False):
            _cookie_script("DELETE", "")
        if not _users() and not sso_configured():
            st.warning(t("auth.no_accounts"), icon=":material/person_off:")
        # clear_on_submit: the password does not stay in the session after the attempt.
        with st.form("login", clear_on_submit=True, border=True):
            username = st.text_input(t("auth.username"), autocomplete="username")
            password = st.text_input(
                t("auth.password"), type="password", autocomplete="current-password"
            )
            submitted = st.form_submit_button(t("page.login"), type="primary", width="stretch")
        if submitted:
            outcome = sign_in(username, password, client_address())
            if isinstance(outcome, Identity):
                st.rerun()
            st.error(outcome, icon=":material/error:")
        if sso_configured():
            st.caption(t("auth.or"))
            if st.button(t("auth.sso"), icon=":material/key:", width="stretch"):
                st.login()
            email = st.user.get("email") if st.user.get("is_logged_in", False) else None
            if email and not _verified():
                st.warning(t("auth.sso_unverified", email=widgets.escape_markdown(str(email))))
            elif email:
                st.warning(t("auth.sso_unknown", email=widgets.escape_markdown(str(email))))


def login_page() -> None:
    """The one page someone who is not signed in can open."""
    login_form()


def login_entry() -> st.Page:
    """The sign-in page, for the navigation of someone not signed in."""
    return st.Page(
        login_page, title=t("page.login"), icon=":material/login:", url_path="login", default=True
    )


def account_menu(identity: Identity) -> None:
    """Who is signed in, as a small menu with their role, facilities and the way out."""
    with st.popover(
        widgets.escape_markdown(identity.username),
        icon=":material/account_circle:",
        width="stretch",
    ):
        account_box(identity)


def account_box(identity: Identity) -> None:
    """Who is signed in, their facilities, and a way out."""
    user = widgets.escape_markdown(identity.username)
    st.caption(t("auth.signed_in", user=user, role=t(f"role.{identity.role}")))
    if identity.facilities:
        st.caption(t("auth.facilities", facilities=", ".join(identity.facilities)))
    if st.button(t("auth.logout"), icon=":material/logout:", key="logout"):
        session: Session | None = st.session_state.get(SESSION_KEY)
        log.info("signed out %s", identity.username)
        audit_log().record(identity.username, "signed_out", identity.username)
        if session is not None:
            _end(session, t("auth.signed_out"))
        # Only here is the cookie removed: after another tab's sign-in it may be a newer session.
        st.session_state[CLEAR_KEY] = True
        st.rerun()


def deliver_cookie() -> None:
    """After a sign-in: let the browser trade its one-time code for the HttpOnly session cookie."""
    if code := st.session_state.pop(HANDOFF_KEY, None):
        _cookie_script("POST", code)


def end_sessions(username: str, actor: str) -> int:
    """End every session of an account (an admin's action); its tabs are out at their next step."""
    ended = session_store().end_all(username)
    audit_log().record(actor, "sessions_ended", username, str(ended))
    return ended


def _from_cookie() -> Session | None:
    """The session a reload, new tab or reconnect brings back in its cookie, if still live."""
    session_id = st.context.cookies.get(COOKIE)
    # Only a text value is a cookie (AppTest, for one, has no HTTP request behind its context).
    found = session_store().find(digest(session_id)) if isinstance(session_id, str) else None
    if found is None:
        return None
    user: User | None = _users().get(found.username)
    if user is None or user.disabled:
        session_store().end(found.key)
        return None
    session = Session(user.identity, found.created_at + data.settings().session_ttl, found.via,
                      found.key)  # fmt: skip
    st.session_state[SESSION_KEY] = session
    return session


def _from_sso() -> Identity | None:
    if not sso_configured() or not st.user.get("is_logged_in", False):
        return None
    if not _verified():
        # Anyone can claim an address at some providers: only one the provider checked counts.
        log.warning("refused single sign-on for %s: e-mail not verified", st.user.get("email"))
        return None
    email = str(st.user.get("email") or "")
    stored = _users().get(email)
    if stored is None or stored.disabled:
        return None  # signed in at the provider, but not given a role here: the form says so
    log.info("signed in %s (%s) through single sign-on", stored.username, stored.role)
    audit_log().record(stored.username, "signed_in", stored.username, "sso", _client())
    _start(stored.identity, "sso")
    return stored.identity


def _verified() -> bool:
    # Providers send a JSON boolean; a few send the string "true".
    return st.user.get("email_verified") in (True, "true")


def _start(identity: Identity, via: str) -> None:
    session_id = session_store().start(identity.username, via)
    expires = datetime.now(UTC) + data.settings().session_ttl
    st.session_state[SESSION_KEY] = Session(identity, expires, via, digest(session_id))
    st.session_state[HANDOFF_KEY] = HANDOFFS.issue(session_id)


def _end(session: Session, reason: str) -> None:
    """Sign this browser session out: the stored session ends, so every tab sharing it does too."""
    if session.key is not None:
        session_store().end(session.key)
    st.session_state.pop(SESSION_KEY, None)
    st.session_state[NOTICE_KEY] = reason
    if session.via == "sso":
        st.logout()  # the provider's cookie would sign them straight back in


def _cookie_script(method: str, code: str) -> None:
    # The code is URL-safe base64 (no quotes); it goes in a POST body, never in a URL.
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    url = "/" + "/".join(part for part in (base, SESSION_URL) if part)
    st.html(
        f"<script>fetch({json.dumps(url)}, {{method: {json.dumps(method)}, "
        f"credentials: 'same-origin', body: {json.dumps(code)}}});</script>",
        unsafe_allow_javascript=True,
    )


def _client() -> str:
    address = st.context.ip_address
    return address if isinstance(address, str) else ""


def _users() -> dict:
    try:
        return UsersFile(users_path(data.settings())).load()
    except UserError as error:
        log.error("cannot read the users file: %s", error)
        return {}
