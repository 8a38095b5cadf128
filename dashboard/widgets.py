"""Pieces every page shares: the live header, the language switch, levels, freshness, plain text."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data, model
from dashboard.formats import ago, local_time
from dashboard.model import ACCEPTING_ICONS, ED_ICONS, ICONS, STALE_ICON, TINTS
from dashboard.texts import LANG_NAMES, LANGS, t, term

REFRESH_S = 5  # live panels redraw this often (the issue allows at most 5 s)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&\"'])")


def level_text(level: str) -> str:
    """A level as icon and word, never as colour alone: ● 満床."""
    return f"{ICONS[level]} {t('level.' + level)}"


def accepting_text(value: str | None) -> str:
    return f"{ACCEPTING_ICONS.get(value, '—')} {term('accepting', value)}"


def ed_text(value: str | None) -> str:
    return f"{ED_ICONS.get(value, '—')} {term('ed_status', value)}"


def freshness(last_report: Any, now: datetime, stale: bool) -> str:
    """How old a facility's numbers are, flagged when they are too old to trust: ⚠ 7時間前."""
    moment = None if last_report is None or pd.isna(last_report) else pd.Timestamp(last_report)
    text = ago(moment.to_pydatetime() if moment is not None else None, now)
    return f"{STALE_ICON} {text}" if stale else text


def freshness_of(rows: pd.DataFrame, now: datetime) -> list[str]:
    """The freshness badge of each row (columns last_report and stale)."""
    pairs = zip(rows["last_report"], rows["stale"], strict=True)
    return [freshness(last, now, bool(stale)) for last, stale in pairs]


def escape_markdown(text: str) -> str:
    """Text from people, made literal for the elements that render Markdown."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def plain(text: str | None) -> None:
    """Show text exactly as it was written: no Markdown, no HTML."""
    if text:
        st.text(text)


def facility_ids(text: str) -> tuple[str, ...]:
    """The facility ids typed into one box, separated by commas (Japanese or not)."""
    return tuple(part.strip() for part in text.replace("、", ",").split(",") if part.strip())


def show_secret_once(key: str, message: str, secret: str) -> None:
    """Show a new password or token on the next run only: it is never shown again."""
    st.session_state[key] = (message, secret)
    st.rerun()


def secret_shown_once(key: str) -> None:
    """The secret that show_secret_once left, shown and forgotten."""
    if shown := st.session_state.pop(key, None):
        message, secret = shown
        st.success(message, icon=":material/key:")
        st.code(secret, language=None)


def level_style(levels: pd.DataFrame) -> pd.DataFrame:
    """CSS for each cell of a frame of levels (None leaves a cell unstyled)."""
    return levels.map(
        lambda level: f"background-color: {TINTS[level]}" if isinstance(level, str) else ""
    )


def language_switch() -> None:
    """Japanese by default, English one click away; the choice is kept in the URL (?lang=en)."""
    st.segmented_control(
        t("app.language"),
        LANGS,
        format_func=lambda code: LANG_NAMES[code],
        key="lang",
        default=data.settings().lang,
        required=True,
        label_visibility="collapsed",
        bind="query-params",
    )


def remember_language() -> None:
    """Take ?lang= into the session before anything is drawn, so the first run is translated."""
    wanted = st.query_params.get("lang")
    if "lang" not in st.session_state and wanted in LANGS:
        st.session_state["lang"] = wanted


@st.fragment(run_every=REFRESH_S)
def live_status() -> None:
    """Live, with the newest event's age; or a banner when the broker is away, data kept."""
    now = data.now()
    feed = data.feed_enabled()
    state = model.feed_state(feed, data.health(), data.started_at(), now)
    newest = data.last_ingest()
    age = ago(newest, now) if newest else None
    updated = t("live.updated", time=local_time(now, data.settings().zone, date=False))
    if state == model.FEED_DOWN:
        message = t("live.down", ago=age) if age else t("live.down_empty")
        st.error(f"{message}  \n{updated}", icon=":material/cloud_off:")
        return
    if state == model.FEED_UNWRITABLE:
        message = t("live.unwritable", ago=age or t("ago.never"))
        st.error(f"{message}  \n{updated}", icon=":material/storage:")
        return
    if state == model.FEED_OFF:
        text = t("live.feed_off", ago=age or t("ago.never"))
        badge = ":gray-badge[:material/pause_circle: " + t("live.badge_off") + "]"
    elif state == model.FEED_CONNECTING:
        text, badge = t("live.connecting"), ":gray-badge[:material/hourglass_top:]"
    else:
        text = t("live.on", ago=age) if age else t("live.no_events")
        lag = data.health().lag
        if lag:
            text += " · " + t("live.lag", n=f"{lag:,}")
        badge = ":green-badge[:material/sensors: " + t("live.badge_on") + "]"
        if short := data.health().short_of_copies:
            # Live all the same: the other copies serve; say why an operator may be paged.
            text += " · " + t("live.short_of_copies", n=short)
            badge = ":orange-badge[:material/sensors: " + t("live.badge_on") + "]"
    st.markdown(f"{badge} {escape_markdown(text)} · {escape_markdown(updated)}")


def top_bar(account: Callable[[], None], news: Callable[[], None] | None = None) -> None:
    """The header of every page, one row: live status, the person's news (the bell), language
    and the account menu (on a phone: the status above, the rest beside each other below)."""
    with st.container(key="top_bar"):
        if news is None:
            status, language, menu = st.columns([5, 1.3, 1], vertical_alignment="center")
        else:
            status, bell, language, menu = st.columns([5, 1.3, 1.3, 1], vertical_alignment="center")
            with bell:
                news()
    with status:
        live_status()
    with language:
        language_switch()
    with menu:
        account()


def phone_label(text: str, key: str) -> None:
    """A caption shown only on a phone, where a table's column headings are not beside it."""
    with st.container(key=f"phone_only_{key}"):
        st.caption(text)


# The common frame's CSS. Streamlit stacks columns below 640 px; these keyed containers
# (st.container(key=...), class st-key-<key>) say how a phone should lay them out instead.
STYLE = """<style>
/* A coordinator's screen is small for what it shows: less empty space above the page. */
[data-testid="stMainBlockContainer"] { padding-top: 3.5rem; padding-bottom: 2rem; }
[data-testid="stMetricValue"] { font-size: 2rem; }
[class*="st-key-phone_only"] { display: none; }
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] { padding-top: 4rem; }
  [data-testid="stMetricValue"] { font-size: 1.5rem; }
  [class*="st-key-phone_only"] { display: block; margin-bottom: -0.75rem; }
  [class*="st-key-desktop_only"] { display: none; }
  /* Touch targets at least 44 px tall (WCAG 2.5.5, Apple's and Android's guides). */
  button, [data-testid="stNumberInputField"], [data-testid="stTextInputRootElement"] input,
  [data-baseweb="select"] > div, [data-testid="stMultiSelect"] input,
  [data-testid="stSidebarNavLink"], [data-testid="stExpander"] summary {
    min-height: 44px !important;
  }
  [data-testid="stNumberInputStepDown"], [data-testid="stNumberInputStepUp"] {
    min-width: 44px !important;
  }
  [data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * { white-space: normal !important; }
  /* The top bar: the live status on its own line, the bell, language and account below. */
  .st-key-top_bar [data-testid="stColumn"]:first-child { min-width: 100%; }
  .st-key-top_bar [data-testid="stColumn"]:not(:first-child) {
    min-width: max-content; flex: 1 1 auto;  /* as wide as their words; the rest wraps below */
  }
  /* A line of a form (a bed type): its name above, its boxes side by side below it. */
  [class*="st-key-line_"] [data-testid="stColumn"] { min-width: 0; flex: 1 1 0; }
  [class*="st-key-line_"] [data-testid="stColumn"]:first-child { min-width: 100%; }
  /* Tiles (metrics) two to a row, not one under another. */
  [class*="st-key-tiles_"] [data-testid="stColumn"] { min-width: calc(50% - 0.5rem); }
  /* Buttons share a row; an input beside them (a reason) takes the whole width below. */
  [class*="st-key-actions_"] [data-testid="stColumn"] { min-width: 0; flex: 1 1 0; }
  [class*="st-key-actions_"] [data-testid="stColumn"]:has(input) { min-width: 100%; order: 9; }
}
</style>"""
