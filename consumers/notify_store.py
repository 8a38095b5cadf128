"""Subscriptions and deliveries of notifications, in one SQLite file beside the accounts."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import TypeAdapter, ValidationError

from consumers.notify_rules import KINDS, Subscription
from schemas.events import USERNAME, FacilityId
from schemas.events_v2 import BED_TYPES_V2
from schemas.glossary import LANGS
from schemas.problems import RuleBroken

CHANNELS = ("webhook", "email")
# Plain http only to this machine (a local relay, or a test's server): elsewhere the URL, which
# often carries the webhook's secret, travels encrypted.
LOOPBACK = ("localhost", "127.0.0.1", "::1")
EMAIL = re.compile(r"^[^@\s,;<>\"]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,}$")
_FACILITY = TypeAdapter(FacilityId)

MESSAGES: dict[str, tuple[str, str]] = {
    "bad_channel": ("通知方法は webhook か email です", "must be webhook or email"),
    "bad_url": (
        "https:// で始まるURLにしてください（http:// はこのマシン宛てのみ）",
        "must be an https:// URL (http:// only to this machine)",
    ),
    "bad_email": ("メールアドレスの形式が正しくありません", "is not a valid e-mail address"),
    "no_kinds": ("通知の種類を1つ以上選んでください", "choose at least one kind"),
    "bad_kind": ("不明な通知の種類です: {value}", "is not a kind of notification: {value}"),
    "bad_bed_type": ("不明な病床種別です: {value}", "is not a bed type: {value}"),
    "bad_facility_id": ("施設IDの形式が正しくありません: {value}", "is not a facility id: {value}"),
    "not_your_facility": (
        "担当施設以外は選べません: {value}",
        "is not one of your facilities: {value}",
    ),
    "bad_district": ("地区名は1〜50文字です", "must have 1 to 50 characters"),
    "bad_username": ("ユーザー名の形式が正しくありません", "is not a valid user name"),
    "bad_lang": ("言語は ja か en です", "must be ja or en"),
    "unknown_subscription": ("この通知設定はありません", "does not exist"),
}


class SubscriptionError(RuleBroken):
    """A subscription that breaks a rule."""

    MESSAGES = MESSAGES


@dataclass(frozen=True)
class Delivery:
    """One notification to one subscription: what to send, where, and how it has gone so far."""

    event_id: str
    subscription_id: int
    username: str
    kind: str
    channel: str
    target: str
    subject: str
    text: str
    status: str = "pending"  # then "sent", or "failed" once the attempts are spent
    attempts: int = 0
    last_error: str | None = None
    created_at: str = ""
    done_at: str | None = None


SCHEMA = """
CREATE TABLE IF NOT EXISTS subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT NOT NULL, channel TEXT NOT NULL,
    target TEXT NOT NULL, kinds TEXT NOT NULL, facilities TEXT NOT NULL, bed_types TEXT NOT NULL,
    districts TEXT NOT NULL, lang TEXT NOT NULL, bound_to TEXT, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    event_id TEXT NOT NULL, subscription_id INTEGER NOT NULL, username TEXT NOT NULL,
    kind TEXT NOT NULL, channel TEXT NOT NULL, target TEXT NOT NULL, subject TEXT NOT NULL,
    text TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, last_error TEXT,
    created_at TEXT NOT NULL, done_at TEXT, next_at REAL NOT NULL,
    PRIMARY KEY (event_id, subscription_id));
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_at);
"""
_DELIVERY_COLUMNS = (
    "event_id, subscription_id, username, kind, channel, target, subject, text, status, "
    "attempts, last_error, created_at, done_at"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def check_subscription(
    username: str,
    channel: str,
    target: str,
    kinds: Iterable[str],
    facilities: Iterable[str] = (),
    bed_types: Iterable[str] = (),
    districts: Iterable[str] = (),
    lang: str = "ja",
    bound_to: Iterable[str] | None = None,
) -> None:
    """Raise SubscriptionError unless every field follows its rule."""
    if not USERNAME.match(username):
        raise SubscriptionError("username", "bad_username")
    if channel not in CHANNELS:
        raise SubscriptionError("channel", "bad_channel")
    if channel == "webhook":
        parts = urlsplit(target)
        secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)
        if not (secure and parts.hostname and len(target) <= 2000):
            raise SubscriptionError("target", "bad_url")
    elif not EMAIL.match(target):
        raise SubscriptionError("target", "bad_email")
    kinds = list(kinds)
    if not kinds:
        raise SubscriptionError("kinds", "no_kinds")
    for rule, field, values, known in (
        ("bad_kind", "kinds", kinds, KINDS),
        ("bad_bed_type", "bed_types", bed_types, BED_TYPES_V2),
    ):
        for value in values:
            if value not in known:
                raise SubscriptionError(field, rule, value=value)
    for facility_id in facilities:
        try:
            _FACILITY.validate_python(facility_id)
        except ValidationError:
            raise SubscriptionError("facilities", "bad_facility_id", value=facility_id) from None
        if bound_to is not None and facility_id not in set(bound_to):
            raise SubscriptionError("facilities", "not_your_facility", value=facility_id)
    if any(not 1 <= len(d.strip()) <= 50 for d in districts):
        raise SubscriptionError("districts", "bad_district")
    if lang not in LANGS:
        raise SubscriptionError("lang", "bad_lang")


class NotifyStore:
    """The subscriptions people keep, and every delivery the notifier owes or made."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with self._db():
            pass  # creates the file and its tables

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        new = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Short-lived connections: the dashboard and the notifier each open and close their own.
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            if new:
                os.chmod(self.path, 0o600)  # addresses and webhook URLs: the owner's only
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")  # a recorded delivery survives a power cut
            con.executescript(SCHEMA)
            con.row_factory = sqlite3.Row
            yield con
        finally:
            con.close()

    # --- Subscriptions ----------------------------------------------------------------------

    def add(
        self,
        username: str,
        channel: str,
        target: str,
        kinds: Iterable[str],
        *,
        facilities: Iterable[str] = (),
        bed_types: Iterable[str] = (),
        districts: Iterable[str] = (),
        lang: str = "ja",
        bound_to: Iterable[str] | None = None,
    ) -> Subscription:
        """Keep a new subscription after checking every field; returns it with its id."""
        kinds, facilities, bed_types = list(kinds), list(facilities), list(bed_types)
        districts = [d.strip() for d in districts]
        target = target.strip()
        bound = None if bound_to is None else sorted(set(bound_to))
        check_subscription(
            username, channel, target, kinds, facilities, bed_types, districts, lang, bound
        )
        fields = {
            "kinds": sorted(set(kinds), key=KINDS.index),
            "facilities": sorted(set(facilities)),
            "bed_types": sorted(set(bed_types)),
            "districts": sorted(set(districts)),
        }
        with self._db() as con:
            cursor = con.execute(
                "INSERT INTO subscriptions (username, channel, target, kinds, facilities, "
                "bed_types, districts, lang, bound_to, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    username,
                    channel,
                    target,
                    *(json.dumps(fields[k], ensure_ascii=False) for k in fields),
                    lang,
                    None if bound is None else json.dumps(bound),
                    _now(),
                ],
            )
            new_id = cursor.lastrowid
        return self.get(int(new_id or 0))

    def get(self, subscription_id: int) -> Subscription:
        with self._db() as con:
            row = con.execute("SELECT * FROM subscriptions WHERE id = ?", [subscription_id])
            found = row.fetchone()
        if found is None:
            raise SubscriptionError("id", "unknown_subscription")
        return _subscription(found)

    def subscriptions(self, username: str | None = None) -> list[Subscription]:
        """Everyone's subscriptions (an admin's view), or one person's."""
        with self._db() as con:
            rows = con.execute(
                "SELECT * FROM subscriptions WHERE ? IS NULL OR username = ? ORDER BY username, id",
                [username, username],
            ).fetchall()
        return [_subscription(row) for row in rows]

    def remove(self, subscription_id: int, username: str | None = None) -> None:
        """Remove a subscription (only its owner's, when a username is given) and what it still
        owes: nobody hears more of what they unsubscribed from."""
        with self._db() as con:
            con.execute("BEGIN IMMEDIATE")
            gone = con.execute(
                "DELETE FROM subscriptions WHERE id = ? AND (? IS NULL OR username = ?)",
                [subscription_id, username, username],
            ).rowcount
            con.execute(
                "DELETE FROM deliveries WHERE subscription_id = ? AND status = 'pending'",
                [subscription_id],
            )
            con.execute("COMMIT")
        if not gone:
            raise SubscriptionError("id", "unknown_subscription")

    # --- Deliveries -------------------------------------------------------------------------

    def owe(self, deliveries: Iterable[Delivery], now: float) -> int:
        """Record deliveries to make, in one transaction; one already recorded (by its event and
        subscription) is left as it is, so that an event read twice is sent once. Returns how
        many are new."""
        rows = [
            (d.event_id, d.subscription_id, d.username, d.kind, d.channel, d.target, d.subject,
             d.text, "pending", 0, None, _now(), None, now)
            for d in deliveries
        ]  # fmt: skip
        with self._db() as con:
            con.execute("BEGIN IMMEDIATE")
            before = con.total_changes
            con.executemany(
                f"INSERT OR IGNORE INTO deliveries ({_DELIVERY_COLUMNS}, next_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            new = con.total_changes - before
            con.execute("COMMIT")
        return new

    def due(self, now: float, limit: int = 100) -> list[Delivery]:
        """Pending deliveries whose next attempt is due, oldest first."""
        with self._db() as con:
            rows = con.execute(
                f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE status = 'pending' "
                "AND next_at <= ? ORDER BY next_at, created_at LIMIT ?",
                [now, limit],
            ).fetchall()
        return [Delivery(**dict(row)) for row in rows]

    def sent(self, delivery: Delivery) -> None:
        self._update(delivery, "sent", delivery.attempts + 1, None, 0.0, done=True)

    def attempt_failed(self, delivery: Delivery, error: str, retry_at: float | None) -> None:
        """Record a failed attempt: retried at retry_at, or failed for good if it is None."""
        status = "pending" if retry_at is not None else "failed"
        self._update(delivery, status, delivery.attempts + 1, error, retry_at or 0.0, done=False)

    def _update(
        self, d: Delivery, status: str, attempts: int, error: str | None, next_at: float, done: bool
    ) -> None:
        with self._db() as con:
            con.execute(
                "UPDATE deliveries SET status = ?, attempts = ?, last_error = ?, next_at = ?, "
                "done_at = ? WHERE event_id = ? AND subscription_id = ?",
                [status, attempts, error, next_at, _now() if done or status == "failed" else None,
                 d.event_id, d.subscription_id],
            )  # fmt: skip

    def pending(self) -> int:
        """How many deliveries still wait for a first or a next attempt."""
        with self._db() as con:
            row = con.execute("SELECT count(*) FROM deliveries WHERE status = 'pending'")
            return int(row.fetchone()[0])

    def troubles(self, limit: int = 200) -> list[Delivery]:
        """Deliveries that failed for good or are being retried, newest first (for an admin)."""
        with self._db() as con:
            rows = con.execute(
                f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE status = 'failed' "
                "OR (status = 'pending' AND attempts > 0) ORDER BY created_at DESC LIMIT ?",
                [limit],
            ).fetchall()
        return [Delivery(**dict(row)) for row in rows]

    def deliveries(self, status: str | None = None) -> list[Delivery]:
        """Every delivery (of one status), oldest first."""
        with self._db() as con:
            rows = con.execute(
                f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE ? IS NULL OR status = ? "
                "ORDER BY created_at, event_id",
                [status, status],
            ).fetchall()
        return [Delivery(**dict(row)) for row in rows]


def _subscription(row: sqlite3.Row) -> Subscription:
    def values(column: str) -> frozenset[str]:
        return frozenset(json.loads(row[column]))

    return Subscription(
        id=int(row["id"]),
        username=row["username"],
        channel=row["channel"],
        target=row["target"],
        kinds=values("kinds"),
        facilities=values("facilities"),
        bed_types=values("bed_types"),
        districts=values("districts"),
        lang=row["lang"],
        bound_to=None if row["bound_to"] is None else values("bound_to"),
    )
