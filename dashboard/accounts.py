"""The dashboard's local accounts: a users file with argon2id hashes, and the demo accounts."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import secrets
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bedboard.settings import Settings
from producers.identity import FACILITY_ID, ROLES, USERNAME, Identity, Role
from schemas.problems import RuleBroken

MIN_PASSWORD, MAX_PASSWORD = 12, 1024  # the upper bound keeps hashing cheap for junk input

DEMO_STAFF_FACILITIES = ("HJ-0001", "HJ-0002")

# argon2-cffi's defaults are RFC 9106's low-memory argon2id profile.
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash of nothing, made on first use rather than at import."""
    # Verified against when the user is unknown: a wrong name costs as long as a wrong password.
    return _hasher.hash(secrets.token_hex(16))


MESSAGES: dict[str, tuple[str, str]] = {
    "bad_username": (
        "ユーザー名は英数字で始まり、英数字と . _ @ + - の64文字以内にしてください",
        "must start with a letter or digit and use only letters, digits and . _ @ + - (at most 64)",
    ),
    "bad_role": (
        "役割は hospital_staff, coordinator, official, admin のいずれかです",
        "must be one of hospital_staff, coordinator, official, admin",
    ),
    "facility_required": (
        "病院スタッフには担当施設（facility_id）が1つ以上必要です",
        "a hospital_staff account needs at least one facility id",
    ),
    "facility_not_allowed": (
        "担当施設を持てるのは病院スタッフだけです",
        "only hospital_staff accounts are bound to facilities",
    ),
    "bad_facility_id": (
        "施設IDの形式が正しくありません: {value}",
        "is not a valid facility id: {value}",
    ),
    "password_too_short": (
        f"パスワードは{MIN_PASSWORD}文字以上にしてください",
        f"must have at least {MIN_PASSWORD} characters",
    ),
    "password_too_long": (
        f"パスワードは{MAX_PASSWORD}文字以内にしてください",
        f"must have at most {MAX_PASSWORD} characters",
    ),
    "password_is_username": (
        "パスワードにユーザー名と同じ文字列は使えません",
        "must differ from the username",
    ),
    "exists": ("このユーザーは既にあります", "already exists"),
    "unknown_user": ("このユーザーはいません", "does not exist"),
    "bad_file": ("ユーザーファイルを読めません: {detail}", "cannot be read: {detail}"),
}


class UserError(RuleBroken):
    """An account change that breaks a rule."""

    MESSAGES = MESSAGES


@dataclass(frozen=True)
class User:
    """One account as stored; `password_hash` is None for single-sign-on-only accounts."""

    username: str
    role: Role
    facilities: tuple[str, ...] = ()
    password_hash: str | None = None
    created_at: str = ""
    disabled: bool = False  # refused at sign-in, and every session of it ended

    @property
    def identity(self) -> Identity:
        return Identity(self.username, self.role, self.facilities)


def users_path(settings: Settings) -> Path:
    """The users file: BEDBOARD_USERS_FILE if set, else users.json in the data dir."""
    return settings.users_file or settings.data_dir / "users.json"


def check_account(username: str, role: str, facilities: tuple[str, ...]) -> None:
    """Raise UserError unless the name, role and facility binding follow the rules."""
    if not USERNAME.match(username):
        raise UserError("username", "bad_username")
    if role not in ROLES:
        raise UserError("role", "bad_role")
    for facility_id in facilities:
        if not FACILITY_ID.match(facility_id):
            raise UserError("facility", "bad_facility_id", value=facility_id)
    if role == "hospital_staff" and not facilities:
        raise UserError("facility", "facility_required")
    if role != "hospital_staff" and facilities:
        raise UserError("facility", "facility_not_allowed")


def check_password(username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError("password", "password_too_short")
    if len(password) > MAX_PASSWORD:
        raise UserError("password", "password_too_long")
    if username.lower() in password.lower():
        raise UserError("password", "password_is_username")


class UsersFile:
    """The accounts in a JSON or TOML file (by suffix), changed atomically under a file lock."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, User]:
        """Every account by username; a missing file means no accounts yet."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            data = tomllib.loads(raw.decode()) if self._toml else json.loads(raw)
            entries = data.get("users", {})
            return {
                name: User(
                    username=name,
                    role=entry["role"],
                    facilities=tuple(entry.get("facilities", ())),
                    password_hash=entry.get("password_hash"),
                    created_at=entry.get("created_at", ""),
                    disabled=bool(entry.get("disabled", False)),
                )
                for name, entry in entries.items()
            }
        except (ValueError, KeyError, AttributeError, TypeError) as error:
            raise UserError(str(self.path), "bad_file", detail=type(error).__name__) from error

    def add(
        self,
        username: str,
        role: str,
        password: str | None,
        facilities: tuple[str, ...] = (),
        *,
        replace_existing: bool = False,
    ) -> User:
        """Create an account (password None: single sign-on only); refuses an existing name."""
        check_account(username, role, facilities)
        if password is not None:
            check_password(username, password)
        with self._locked():
            users = self.load()
            if username in users and not replace_existing:
                raise UserError("username", "exists")
            user = User(
                username,
                cast(Role, role),  # checked above
                tuple(facilities),
                _hasher.hash(password) if password is not None else None,
                datetime.now(UTC).isoformat(timespec="seconds"),
            )
            users[username] = user
            self._save(users)
        return user

    def change(
        self,
        username: str,
        *,
        role: str | None = None,
        facilities: tuple[str, ...] | None = None,
        password: str | None = None,
        disabled: bool | None = None,
    ) -> User:
        """Change an account's role, facilities, password or disabled flag (None: unchanged)."""
        with self._locked():
            users = self.load()
            if username not in users:
                raise UserError("username", "unknown_user")
            user = users[username]
            new_role = role if role is not None else user.role
            new_facilities = tuple(facilities) if facilities is not None else user.facilities
            check_account(username, new_role, new_facilities)
            if password is not None:
                check_password(username, password)
            user = replace(
                user,
                role=cast(Role, new_role),  # checked above
                facilities=new_facilities,
                password_hash=_hasher.hash(password) if password else user.password_hash,
                disabled=user.disabled if disabled is None else disabled,
            )
            users[username] = user
            self._save(users)
        return user

    def remove(self, username: str) -> None:
        with self._locked():
            users = self.load()
            if username not in users:
                raise UserError("username", "unknown_user")
            del users[username]
            self._save(users)

    def verify(self, username: str, password: str) -> User | None:
        """The account if the password matches; unknown names take as long as wrong passwords."""
        user = self.load().get(username)
        stored = user.password_hash if user else None
        try:
            _hasher.verify(stored or _dummy_hash(), password[:MAX_PASSWORD])
        except (VerificationError, InvalidHashError):
            return None
        if user is None or stored is None or user.disabled:
            return None
        if _hasher.check_needs_rehash(stored):
            with self._locked():
                users = self.load()
                users[username] = replace(user, password_hash=_hasher.hash(password))
                self._save(users)
        return user

    @property
    def _toml(self) -> bool:
        return self.path.suffix.lower() == ".toml"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _save(self, users: dict[str, User]) -> None:
        entries = {
            name: {
                "role": u.role,
                "facilities": list(u.facilities),
                **({"password_hash": u.password_hash} if u.password_hash else {}),
                "created_at": u.created_at,
                **({"disabled": True} if u.disabled else {}),
            }
            for name, u in sorted(users.items())
        }
        text = (
            _toml_text(entries)
            if self._toml
            else json.dumps({"version": 1, "users": entries}, ensure_ascii=False, indent=2)
        )
        # Write beside, then rename: a reader never sees half a file; hashes stay owner-only.
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".users-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _toml_text(entries: dict[str, dict[str, Any]]) -> str:
    # JSON string escapes are a subset of TOML basic-string escapes.
    lines = ["version = 1"]
    for name, entry in entries.items():
        lines += ["", f"[users.{json.dumps(name)}]"]
        lines += [f"{key} = {json.dumps(value)}" for key, value in entry.items()]
    return "\n".join(lines)


def new_password() -> str:
    """A random password of 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


def demo_accounts(settings: Settings, *, reset: bool = False) -> list[tuple[str, str, str | None]]:
    """Create the missing demo accounts with random passwords: (username, role, password).

    An account that exists keeps its password (None here) unless `reset` says otherwise: someone
    may have signed in with it, or made it their own.
    """
    store = UsersFile(users_path(settings))
    existing = store.load()
    wanted: list[tuple[str, str, tuple[str, ...]]] = [
        *(
            (f"staff.{f.lower().replace('-', '')}", "hospital_staff", (f,))
            for f in DEMO_STAFF_FACILITIES
        ),
        ("coordinator", "coordinator", ()),
        ("official", "official", ()),
        ("admin", "admin", ()),
    ]
    created: list[tuple[str, str, str | None]] = []
    for username, role, facilities in wanted:
        if username in existing and not reset:
            created.append((username, existing[username].role, None))
            continue
        password = new_password()
        while username.lower() in password.lower():  # the password rule; vanishingly rare
            password = new_password()
        store.add(username, role, password, facilities, replace_existing=True)
        created.append((username, role, password))
    return created
