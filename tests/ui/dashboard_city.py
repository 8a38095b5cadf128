"""A small city written straight into a replica: the fixture of the dashboard's tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from consumers.rules import Accepted
from consumers.store import Batch, Store, connect
from dashboard.accounts import UsersFile
from dashboard.data import NO_FEED_ENV
from schemas.events import Event
from schemas.topics import TOPIC_OF_TYPE
from tests.factories import beds, capacity, notice_posted, notice_withdrawn, registration

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")
COORDINATOR = "coord.tanaka"
NOTE = "<script>alert(1)</script> **x** [link](http://example.invalid)"


def facility(at: datetime, fid: str, ja: str, en: str, district: str,
             lat: float | None = None, lon: float | None = None) -> Event:  # fmt: skip
    where = {} if lat is None else {"location": {"lat": lat, "lon": lon}}
    return registration(fid, district, at, name={"ja": ja, "en": en}, phone="042-000-0000", **where)


def report(at: datetime, fid: str, lines: dict[str, tuple[int, int]], **extra: Any) -> Event:
    """A report by the facility's own bed manager (the reports log shows who sent it)."""
    actor = {"org": "hospital", "user": extra.pop("user", f"bedmgr.{fid.lower()}")}
    return capacity(fid, at, actor=actor, beds=beds(**lines), **extra)


def notice(at: datetime, title: str, body: str = "", severity: str = "warning",
           expires: datetime | None = None) -> Event:  # fmt: skip
    end = {"expires_at": expires.isoformat()} if expires else {}
    return notice_posted(title, at=at, body=body, severity=severity, **end)


def city_events(now: datetime) -> list[Event]:
    """Five registered facilities, one unregistered source, history, a stale one, notices."""
    m = timedelta(minutes=1)
    posted = notice(now - 90 * m, "撤回されたお知らせ")
    return [
        facility(now - 48 * 60 * m, "HJ-0001", "いちょう総合病院", "Icho General", "八王子駅周辺",
                 35.6571, 139.3365),
        facility(now - 48 * 60 * m, "HJ-0002", "こもれび医療センター", "Komorebi Medical",
                 "南大沢", 35.6205, 139.3772),
        facility(now - 48 * 60 * m, "HJ-0003", "はなみずき病院", "Hanamizuki Hospital", "北野",
                 35.6425, 139.3562),
        facility(now - 48 * 60 * m, "HJ-0004", "やまゆり病院", "Yamayuri Hospital", "高尾",
                 35.6395, 139.2790),
        facility(now - 48 * 60 * m, "HJ-0005", "あおば診療所", "Aoba Clinic", "石川"),
        report(now - 180 * m, "HJ-0001", {"medical_surgical": (220, 180), "adult_icu": (12, 9),
                                          "negative_flow_isolation": (8, 2)},
               accepting="open", ed_status="normal"),
        report(now - 10 * m, "HJ-0001", {"medical_surgical": (220, 207), "adult_icu": (12, 12),
                                         "negative_flow_isolation": (8, 5)},
               accepting="limited", ed_status="normal", note=NOTE),
        report(now - 20 * m, "HJ-0002", {"medical_surgical": (100, 50), "adult_icu": (10, 11)},
               accepting="open", ed_status="advisory"),
        report(now - 30 * m, "HJ-0003", {"medical_surgical": (80, 79), "pediatrics": (20, 5)},
               accepting="closed", ed_status="closed"),
        report(now - 8 * 60 * m, "HJ-0004", {"medical_surgical": (60, 30)}, accepting="open"),
        report(now - 5 * m, "HJ-0005", {"hcu": (8, 2)}, accepting="open", ed_status="normal"),
        report(now - 60 * m, "XX-9999", {"medical_surgical": (10, 3)}),
        notice(now - 30 * m, "発熱外来の受付時間を変更 <b>**重要**</b>",
               "本日は17時まで。<script>x</script>", "critical"),
        notice(now - 300 * m, "期限切れのお知らせ", expires=now - 60 * m),
        posted,
        notice_withdrawn(str(posted.notice_id), now - 80 * m),  # type: ignore[attr-defined]
    ]  # fmt: skip


def write_replica(path: Path, events: list[Event]) -> Path:
    """Apply events to a replica file as the roll-up would (ingest one second after each)."""
    accepted: dict[str, list[Accepted]] = {}
    for offset, event in enumerate(events):
        topic = TOPIC_OF_TYPE[event.type]  # type: ignore[attr-defined]
        ingested = event.occurred_at + timedelta(seconds=1)
        accepted.setdefault(topic, []).append(Accepted(event, ingested, 0, offset))
    con = connect(path)
    try:
        Store(con).write(Batch(accepted=accepted, read={k: len(v) for k, v in accepted.items()}))
    finally:
        con.close()
    return path


def opened_by_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: list[Event]) -> Path:
    """A replica of these events that the app opens without a feed, with a coordinator's account
    (single sign-on only: no password to hash) for open_app's session."""
    path = write_replica(tmp_path / "dashboard.duckdb", events)
    UsersFile(tmp_path / "users.json").add(COORDINATOR, "coordinator", None)
    monkeypatch.setenv("BEDBOARD_DB", str(path))
    monkeypatch.setenv("BEDBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(NO_FEED_ENV, "1")
    monkeypatch.delenv("BEDBOARD_LANG", raising=False)
    return path
