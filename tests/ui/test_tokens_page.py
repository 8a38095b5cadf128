"""The API tokens page in AppTest: an admin issues a token (shown once, only its hash kept),
sees it listed without its secret, and revokes it; each change audited with its actor."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from streamlit.testing.v1 import AppTest

from bedboard.settings import Settings
from dashboard import auth
from dashboard.accounts import UsersFile
from dashboard.audit import AuditLog
from producers.identity import Identity
from producers.tokens import TokenStore

PAGE = str(Path(__file__).resolve().parents[2] / "dashboard" / "pages" / "tokens.py")
ADMIN = Identity("root", "admin")
COORDINATOR = Identity("hc.sato", "coordinator")


def opened(tmp_path: Path, who: Identity) -> AppTest:
    """The page as `who` would see it (the city fixture points BEDBOARD_DATA_DIR at tmp_path)."""
    UsersFile(tmp_path / "users.json").add(who.username, who.role, None)
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state[auth.SESSION_KEY] = auth.Session(
        who, datetime.now(UTC) + timedelta(hours=1), "password"
    )
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def everything_shown(at: AppTest) -> str:
    frames = [frame.value.to_csv() for frame in at.dataframe]
    return " ".join([*(e.value for e in at.markdown), *(e.value for e in at.code), *frames])


def test_an_admin_issues_a_token_shown_once_and_revokes_it(city: Path, tmp_path: Path) -> None:
    store = TokenStore(Settings(data_dir=tmp_path).tokens_path)
    at = opened(tmp_path, ADMIN)
    assert [i.value for i in at.info] == ["トークンはまだありません。"]

    at.text_input[0].input("HJ-0001、HJ-0003")
    at.text_input[1].input("his.icho")
    at.button[0].click().run()

    (token,) = store.load().values()
    (secret,) = [code.value for code in at.code]
    assert (token.name, token.facilities, token.read_only) == (
        "his.icho",
        ("HJ-0001", "HJ-0003"),
        False,
    )
    assert hashlib.sha256(secret.encode()).hexdigest() == token.sha256
    assert store.verify(secret) == token
    assert token.id in at.success[0].value
    listed = at.dataframe[0].value
    assert list(listed["ID"]) == [token.id] and list(listed["担当施設"]) == ["HJ-0001, HJ-0003"]

    at.run()  # any next run: the token is gone from the screen for good
    assert not at.code and secret not in everything_shown(at)
    assert token.sha256 not in everything_shown(at)

    at.selectbox(key="token_chosen").select(token.id)
    at.button[-1].click().run()

    fresh = TokenStore(store.path)  # a running API looks again within RECHECK_S; this one now
    assert fresh.verify(secret) is None and fresh.load()[token.id].revoked_at is not None
    assert at.success[0].value.startswith(f"トークン {token.id}（his.icho）を失効させました")
    assert not at.selectbox  # nothing left to revoke
    entries = AuditLog(tmp_path / "audit.jsonl").entries()
    assert [(e.actor, e.action, e.subject) for e in entries] == [
        ("root", "token_issued", f"{token.id} his.icho"),
        ("root", "token_revoked", f"{token.id} his.icho"),
    ]


def test_a_token_to_send_without_a_facility_is_refused_naming_the_field(
    city: Path, tmp_path: Path
) -> None:
    at = opened(tmp_path, ADMIN)

    at.button[0].click().run()

    assert [e.value for e in at.error] == ["担当施設: 送信用トークンには施設が1つ以上必要です"]
    assert not TokenStore(Settings(data_dir=tmp_path).tokens_path).load()


def test_a_read_only_token_needs_no_facility(city: Path, tmp_path: Path) -> None:
    at = opened(tmp_path, ADMIN)

    at.radio[0].set_value(True)
    at.button[0].click().run()

    (token,) = TokenStore(Settings(data_dir=tmp_path).tokens_path).load().values()
    assert token.read_only and token.facilities == () and token.name.startswith("reader.")


def test_only_an_admin_may_open_it(city: Path, tmp_path: Path) -> None:
    at = opened(tmp_path, COORDINATOR)

    assert [e.value for e in at.error] == [
        "このページを開く権限がありません（あなたの役割: 保健所 調整担当）。"
    ]
    assert not at.button and not at.text_input
