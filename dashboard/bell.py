"""The live bell on every page: the inbox's count on its navigation entry, a chime and a toast
when a request arrives, a toast when an answer comes back."""

from __future__ import annotations

import functools
import io
import math
import struct
import wave
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import streamlit as st

from dashboard import data
from dashboard.texts import bed_label, lang, t
from producers.identity import Identity

BELL_S = 1  # how often every open page asks the replica: a request shows within a second or two
SINCE, SEEN = "bell_since", "bell_seen"  # session: the newest arrival heard, and its event ids
RINGS, RING_UNTIL = "bell_rings", "bell_ring_until"  # how many chimes so far; keep the last until
CHIME_KEPT_S = 10  # the chime's element stays this long (a new element per chime plays anew)
CHIME_RATE = 22_050


def facilities_of(identity: Identity) -> tuple[str, ...] | None:
    """Whose requests ring for this person: their facilities, every one for an admin, none for
    someone without an inbox (an empty tuple)."""
    if not identity.may("respond"):
        return ()
    return None if identity.role == "admin" else tuple(identity.facilities)


def listens(identity: Identity) -> bool:
    """Whether anything rings for this person: an inbox to watch, or requests of their own."""
    return identity.may("respond") or identity.may("request")


def fresh(
    rows: Sequence[dict[str, Any]], since: datetime, seen: frozenset[str]
) -> tuple[list[dict[str, Any]], datetime, frozenset[str]]:
    """The rows not heard yet, and the new (since, seen): rows at `since` were read with >=, so
    the ids already heard at that instant are kept to be skipped next time."""
    new = [row for row in rows if row["event_id"] not in seen]
    if not rows:
        return new, since, seen
    newest = max(row["ingested_at"] for row in rows)
    at_newest = {row["event_id"] for row in rows if row["ingested_at"] == newest}
    return new, newest, frozenset(at_newest | (seen if newest == since else set()))


@functools.cache
def chime_wav() -> bytes:
    """A soft two-note chime (E6 then A6, 0.3 s), made here rather than shipped as a file."""
    frames = bytearray()
    for pitch, length in ((1318.5, 0.12), (1760.0, 0.18)):
        count = int(CHIME_RATE * length)
        for i in range(count):
            fade = min(1.0, i / 200) * (1 - i / count) ** 2  # no click at either end
            sample = 0.35 * fade * math.sin(2 * math.pi * pitch * i / CHIME_RATE)
            frames += struct.pack("<h", int(sample * 32_767))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(CHIME_RATE)
        wav.writeframes(bytes(frames))
    return out.getvalue()


def badge_css(waiting: int) -> str:
    """The count on the inbox's navigation entry, drawn by CSS so the navigation stays as it is."""
    if waiting <= 0:
        return "<style></style>"
    shown = "99+" if waiting > 99 else str(waiting)
    return (
        "<style>a[href$='/inbox']::after { content: '" + shown + "'; margin-left: .4em;"
        " padding: 0 .45em; border-radius: 1em; background: #d32f2f; color: #fff;"
        " font-size: .75rem; font-weight: 600; line-height: 1.4; }"
        " [class*='st-key-bell_chime'] { display: none; }</style>"
    )


def _name(row: dict[str, Any]) -> str:
    name = row["name_en"] if lang() == "en" and row.get("name_en") else row.get("name_ja")
    return str(name or row["facility_id"])


def toast_text(row: dict[str, Any]) -> str:
    """What the toast says of one arrival: the kind, the facility, the bed type or the answer."""
    if row["type"] == "placement.requested":
        return f"{t('notify.request')}: {_name(row)} · {bed_label(row['bed_type'])}"
    return f"{t('notify.answer')}: {_name(row)} · {t('placement.' + str(row['decision']))}"


@st.fragment(run_every=BELL_S)
def ring(identity: Identity) -> None:
    """Redrawn every second on whatever page is open; rings only for what is new since the
    page was opened, so that a reload is quiet."""
    facilities = facilities_of(identity)
    requester = identity.username if identity.may("request") else None
    since = st.session_state.setdefault(SINCE, data.now())
    seen = st.session_state.get(SEEN, frozenset())
    rows = data.inbox_news(since, facilities, requester) if facilities != () or requester else []
    new, st.session_state[SINCE], st.session_state[SEEN] = fresh(rows, since, seen)
    waiting = data.waiting_requests(facilities) if facilities != () else 0
    st.html(badge_css(waiting))
    if waiting:  # beside the count on the inbox's entry, which is the way there
        st.markdown(f":red-badge[:material/notifications_active: {t('bell.waiting', n=waiting)}]")
    for row in new:
        arrived = row["type"] == "placement.requested"
        st.toast(
            toast_text(row), icon=":material/inbox:" if arrived else ":material/mark_chat_read:"
        )
    now = data.now()
    if any(row["type"] == "placement.requested" for row in new):
        st.session_state[RINGS] = st.session_state.get(RINGS, 0) + 1
        st.session_state[RING_UNTIL] = now + timedelta(seconds=CHIME_KEPT_S)
    if st.session_state.get(RING_UNTIL, now) > now:
        # Browsers play this only once the person has interacted with the page (signing in
        # counts, in this tab); until then the badge and the toast still show.
        with st.container(key=f"bell_chime_{st.session_state[RINGS]}"):
            st.audio(chime_wav(), format="audio/wav", autoplay=True)
