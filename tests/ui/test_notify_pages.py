"""The Notifications page in AppTest, and the live bell's parts that need no ticking fragment."""

from __future__ import annotations

import io
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_staff_pages import ADMIN, COORDINATOR, PASSWORD, STAFF, page, replica, signed_in

from consumers.notify_store import Delivery, NotifyStore
from dashboard import bell
from dashboard.accounts import UsersFile
from producers import forms


@pytest.fixture
def people(city: Path, tmp_path: Path) -> Path:
    """The small city with a hospital's staff, a coordinator and an admin."""
    users = UsersFile(tmp_path / "users.json")
    users.add(STAFF.username, STAFF.role, PASSWORD, STAFF.facilities)
    for who in (COORDINATOR, ADMIN):
        users.add(who.username, who.role, None, replace_existing=True)
    return city


def store(tmp_path: Path) -> NotifyStore:
    return NotifyStore(tmp_path / "notify.sqlite")


def test_a_person_adds_and_removes_their_own_subscription(people: Path, tmp_path: Path) -> None:
    at = page("notifications", STAFF)
    assert [s.value for s in at.subheader] == ["通知設定"]
    assert [i.value for i in at.info] == ["通知設定はまだありません"]
    # Staff choose among their own facilities only.
    facilities = next(m for m in at.multiselect if m.label == "施設で絞り込み")
    assert len(facilities.options) == 1 and "HJ-0001" in facilities.options[0]

    at.text_input[0].input("http://hooks.example/not-https")
    at.button[-1].click().run()
    assert [e.value for e in at.error] == [
        "target: https:// で始まるURLにしてください（http:// はこのマシン宛てのみ）"
    ]
    assert store(tmp_path).subscriptions() == []

    at.text_input[0].input("https://hooks.slack.com/services/T0/B0/secret")
    at.button[-1].click().run()
    (kept,) = store(tmp_path).subscriptions()
    assert (kept.username, kept.kinds, kept.bound_to) == (
        STAFF.username,
        frozenset({"request", "answer"}),
        frozenset({"HJ-0001"}),
    )
    at = page("notifications", STAFF)
    shown = " ".join(m.value for m in at.markdown)
    assert "https://hooks.slack.com/…" in shown and "secret" not in shown

    # Someone else cannot remove it; its owner can.
    other = page("notifications", COORDINATOR)
    assert not [b for b in other.button if b.label == "削除"]
    next(b for b in at.button if b.label == "削除").click().run()
    assert store(tmp_path).subscriptions() == []


def test_an_admin_sees_everyones_failed_deliveries(people: Path, tmp_path: Path) -> None:
    notify = store(tmp_path)
    sub = notify.add("hc.sato", "email", "sato@hachioji.example", ["answer"])
    notify.owe([Delivery("e-1", sub.id, "hc.sato", "answer", "email", sub.target, "s", "t")], now=0)
    (owed,) = notify.due(now=1)
    notify.attempt_failed(owed, "SMTPRecipientsRefused: 550", retry_at=None)

    at = page("notifications", ADMIN, lang="en")
    assert "#### Failed notifications" in [m.value for m in at.markdown]
    (table,) = at.dataframe
    assert table.value.iloc[0].tolist()[:6] == [
        "Failed", "hc.sato", "A placement request was answered", "E-mail", 1,
        "SMTPRecipientsRefused: 550",
    ]  # fmt: skip
    assert not [m for m in page("notifications", STAFF).markdown if "送信失敗" in m.value]


def test_the_bell_rings_once_for_each_arrival() -> None:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    rows = [{"event_id": "a", "ingested_at": at}, {"event_id": "b", "ingested_at": at}]
    new, since, seen = bell.fresh(rows, at - timedelta(seconds=5), frozenset())
    assert [r["event_id"] for r in new] == ["a", "b"] and since == at
    # Read again with >= since: the same two come back and are not new.
    again, since, seen = bell.fresh(rows, since, seen)
    assert again == [] and seen == {"a", "b"}
    later = rows + [{"event_id": "c", "ingested_at": at}]
    third, _, seen = bell.fresh(later, since, seen)
    assert [r["event_id"] for r in third] == ["c"] and seen == {"a", "b", "c"}


def test_the_badge_counts_on_the_inbox_entry_and_the_chime_is_a_short_wav() -> None:
    assert "content: '3'" in bell.badge_css(3) and "/inbox" in bell.badge_css(3)
    assert "99+" in bell.badge_css(120) and "content" not in bell.badge_css(0)
    with wave.open(io.BytesIO(bell.chime_wav())) as chime:
        seconds = chime.getnframes() / chime.getframerate()
    assert 0.2 < seconds < 0.5 and len(bell.chime_wav()) < 20_000


def test_the_header_counts_the_requests_waiting_in_the_staffs_inbox(
    people: Path, now: datetime
) -> None:
    request = forms.placement_request(
        COORDINATOR, "HJ-0001", "hcu", age_band="50-59", severity="moderate", now=now
    )
    replica(people, [request])
    staff = signed_in(STAFF)
    assert not staff.exception, [e.message for e in staff.exception]
    assert [m.value for m in staff.markdown if "回答待ち" in m.value] == [
        ":red-badge[:material/notifications_active: 回答待ち 1件]"
    ]
    # A coordinator has no inbox: no count.
    assert not [m for m in signed_in(COORDINATOR).markdown if "回答待ち" in m.value]
