"""API tokens: stored hashed in a file only its owner reads, checked in constant time."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from producers.identity import FACILITY_ID, USERNAME, Identity
from schemas.problems import RuleBroken

PREFIX = "bbt"
# 32 random bytes: guessing is hopeless, so one fast sha256 is as safe as a slow password hash.
# argon2 (the dashboard's password hash) exists to slow down guessing low-entropy passwords; on a
# token it would only add tens of milliseconds and much memory to every request.
SECRET_BYTES = 32
RECHECK_S = 1.0  # how long a revocation may take to hold in a running API

MESSAGES: dict[str, tuple[str, str]] = {
    "bad_name": (
        "名前は英数字で始まり、英数字と . _ @ + - の64文字以内にしてください",
        "must start with a letter or digit and use only letters, digits and . _ @ + - (at most 64)",
    ),
    "bad_facility_id": ("施設IDの形式が正しくありません: {value}", "is not a facility id: {value}"),
    "facility_required": (
        "送信用トークンには施設が1つ以上必要です",
        "a token that sends needs at least one facility",
    ),
    "unknown_token": ("このIDのトークンはありません: {value}", "there is no token {value}"),
    "bad_file": ("トークンファイルを読めません: {detail}", "cannot be read: {detail}"),
}


class TokenError(RuleBroken):
    """A token change that breaks a rule."""

    MESSAGES = MESSAGES


@dataclass(frozen=True)
class Token:
    """One token as stored: never the token itself, only its sha256."""

    id: str
    name: str
    facilities: tuple[str, ...]
    read_only: bool
    sha256: str
    created_at: str
    revoked_at: str | None = None

    @property
    def identity(self) -> Identity:
        """Who speaks in the events this token sends: a hospital system named like a user."""
        return Identity(self.name, "hospital_staff", self.facilities)

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def scope(self) -> str:
        """What it may do, for which facilities, as the audit log records it."""
        return f"{'read' if self.read_only else 'submit'} {','.join(self.facilities)}".strip()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenStore:
    """The tokens file (JSON, mode 0600), changed atomically under a file lock."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._cache: tuple[tuple[int, int], dict[str, Token]] | None = None
        self._looked_at = -RECHECK_S
        self._cache_lock = threading.Lock()

    def add(
        self, facilities: tuple[str, ...], *, name: str | None = None, read_only: bool = False
    ) -> tuple[Token, str]:
        """A new token and its secret text, which is shown once and never stored."""
        for facility_id in facilities:
            if not FACILITY_ID.match(facility_id):
                raise TokenError("--facility", "bad_facility_id", value=facility_id)
        if not read_only and not facilities:
            raise TokenError("--facility", "facility_required")
        token_id = secrets.token_hex(4)
        name = name or (f"api.{facilities[0]}" if facilities else f"reader.{token_id}")
        if not USERNAME.match(name):
            raise TokenError("--name", "bad_name")
        text = f"{PREFIX}_{token_id}_{secrets.token_urlsafe(SECRET_BYTES)}"
        token = Token(
            token_id,
            name,
            tuple(facilities),
            read_only,
            _digest(text),
            datetime.now(UTC).isoformat(timespec="seconds"),
        )
        with self._locked():
            tokens = self.load()
            tokens[token.id] = token
            self._save(tokens)
        return token, text

    def revoke(self, token_id: str) -> Token:
        with self._locked():
            tokens = self.load()
            if token_id not in tokens:
                raise TokenError("ID", "unknown_token", value=token_id)
            revoked = replace(
                tokens[token_id], revoked_at=datetime.now(UTC).isoformat(timespec="seconds")
            )
            tokens[token_id] = revoked
            self._save(tokens)
        return revoked

    def load(self) -> dict[str, Token]:
        """Every token by id; a missing file means no tokens yet."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            entries = json.loads(raw)["tokens"]
            return {e["id"]: Token(**(e | {"facilities": tuple(e["facilities"])})) for e in entries}
        except (ValueError, KeyError, TypeError) as error:
            raise TokenError(str(self.path), "bad_file", detail=type(error).__name__) from error

    def verify(self, text: str) -> Token | None:
        """The active token whose secret this is, or None."""
        prefix, _, rest = text.partition("_")
        token_id, _, _ = rest.partition("_")
        token = self._current().get(token_id) if prefix == PREFIX else None
        # Compared even for an unknown id, so that timing tells nothing about which ids exist.
        expected = token.sha256 if token else _digest("")
        same = hmac.compare_digest(expected, _digest(text))
        return token if token is not None and same and token.active else None

    def _current(self) -> dict[str, Token]:
        # The file is read again when it changes, so that a revocation holds within RECHECK_S.
        # Not looked at on every request: a stat releases the GIL, and taking it back from
        # the Kafka and roll-up threads cost the event loop milliseconds per request.
        with self._cache_lock:
            now = time.monotonic()
            if self._cache is not None and now - self._looked_at < RECHECK_S:
                return self._cache[1]
            self._looked_at = now
            try:
                stat = self.path.stat()
            except FileNotFoundError:
                self._cache = None
                return {}
            key = (stat.st_ino, stat.st_mtime_ns)
            if self._cache is None or self._cache[0] != key:
                self._cache = (key, self.load())
            return self._cache[1]

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _save(self, tokens: dict[str, Token]) -> None:
        entries = [asdict(t) | {"facilities": list(t.facilities)} for t in tokens.values()]
        body = json.dumps({"tokens": entries}, indent=2, ensure_ascii=False) + "\n"
        # mkstemp creates the file 0600: the hashes are never readable by others, even briefly.
        handle, partial = tempfile.mkstemp(dir=self.path.parent, prefix=".tokens-")
        try:
            with os.fdopen(handle, "w") as out:
                out.write(body)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, self.path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
