"""API tokens, the request rate per token, and the language of refusals."""

from __future__ import annotations

import stat
import threading
import time
from pathlib import Path

import pytest

from api.errors import body, language
from api.guard import RateLimit
from bedboard.cli import main
from bedboard.settings import Settings
from dashboard.audit import AuditLog
from dashboard.trail import audit_rows
from producers.tokens import RECHECK_S, TokenError, TokenStore
from schemas.problems import Problem


def test_a_token_is_shown_once_and_stored_only_as_its_hash(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens.json")

    token, secret = store.add(("HJ-0001", "HJ-0002"), name="his.hj1")

    stored = (tmp_path / "tokens.json").read_text()
    assert secret not in stored and secret.split("_", 2)[2] not in stored
    assert stat.S_IMODE((tmp_path / "tokens.json").stat().st_mode) == 0o600
    assert store.verify(secret) == token
    assert token.identity.username == "his.hj1" and token.identity.org == "hospital"
    assert token.identity.may_report_for("HJ-0002") and not token.identity.may_report_for("X")


def test_wrong_unknown_and_revoked_tokens_are_refused(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens.json")
    token, secret = store.add(("HJ-0001",))
    other, other_secret = store.add((), read_only=True)

    assert store.verify(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert store.verify(f"bbt_{token.id}_") is None
    assert store.verify("bbt_nosuchid_" + secret.split("_", 2)[2]) is None
    assert store.verify("") is None
    store.revoke(token.id)
    assert TokenStore(tmp_path / "tokens.json").verify(secret) is None
    assert store.verify(other_secret) == other and other.read_only


def test_a_revocation_holds_in_a_running_api_within_a_second(tmp_path: Path) -> None:
    serving = TokenStore(tmp_path / "tokens.json")  # as the API holds it
    token, secret = serving.add(("HJ-0001",))
    assert serving.verify(secret) == token

    TokenStore(tmp_path / "tokens.json").revoke(token.id)  # as `bedboard tokens revoke` does

    deadline = time.monotonic() + RECHECK_S + 2
    while serving.verify(secret) is not None:
        assert time.monotonic() < deadline
        threading.Event().wait(0.05)


def test_names_and_facilities_follow_the_rules(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens.json")

    with pytest.raises(TokenError, match="facility"):
        store.add(())
    with pytest.raises(TokenError) as bad:
        store.add(("HJ 1",))
    assert bad.value.rule == "bad_facility_id"
    with pytest.raises(TokenError) as bad:
        store.add(("HJ-1",), name="<script>")
    assert bad.value.rule == "bad_name"
    with pytest.raises(TokenError) as bad:
        store.revoke("nope")
    assert "nope" in bad.value.message("ja")
    assert store.add(("HJ-1",))[0].name == "api.HJ-1"


def test_the_rate_limit_allows_a_burst_then_refuses_with_a_wait() -> None:
    limit = RateLimit(rate=0.5, burst=3)

    assert [limit.take("a") for _ in range(3)] == [0, 0, 0]
    wait = limit.take("a")
    assert 0 < wait <= 2
    assert limit.take("b") == 0  # per token


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-US,en;q=0.9", "en"),
        ("ja,en;q=0.5", "ja"),
        ("fr, en;q=0.3, ja;q=0.8", "ja"),
        ("ja;q=0, en", "en"),
        ("de", "ja"),
        (None, "ja"),
        ("en;q=x", "ja"),
    ],
)
def test_the_language_follows_accept_language(header: str | None, expected: str) -> None:
    assert language(header, "ja") == expected


def test_a_refusal_names_field_rule_and_message_in_both_languages() -> None:
    problems = [Problem("beds[0].usable", "less_than_equal", (("le", 5000),))]

    assert body(problems, "en") == {
        "errors": [
            {
                "field": "beds[0].usable",
                "rule": "less_than_equal",
                "message": "must be at most 5000",
            }
        ]
    }
    assert body(problems, "ja")["errors"][0]["message"] == "5000以下にしてください"
    facility = Problem("facility_id", "not_your_facility", (("facility_id", "HJ-2"),))
    assert "HJ-2" in body([facility], "ja")["errors"][0]["message"]


def test_token_changes_on_the_command_line_are_audited_with_the_login_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEDBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("getpass.getuser", lambda: "night desk")  # a space actor.user refuses

    assert main(["tokens", "add", "--facility", "HJ-0001", "--name", "his.icho"]) == 0
    (token,) = TokenStore(Settings(data_dir=tmp_path).tokens_path).load().values()
    assert main(["tokens", "revoke", token.id]) == 0

    entries = AuditLog(Settings(data_dir=tmp_path).audit_path).entries()
    assert [(e.actor, e.action, e.subject, e.detail, e.source) for e in entries] == [
        ("cli.night_desk", "token_issued", f"{token.id} his.icho", "submit HJ-0001", "cli"),
        ("cli.night_desk", "token_revoked", f"{token.id} his.icho", "", "cli"),
    ]
    assert list(audit_rows(entries)["source"]) == ["cli", "cli"]
