"""Local accounts: argon2id hashes in a JSON or TOML file, roles, the CLI."""

from __future__ import annotations

import io
import json
import logging
import stat
import sys
from pathlib import Path

import pytest

from bedboard import cli, console
from bedboard.settings import Settings
from dashboard.accounts import UserError, UsersFile, demo_accounts, users_path
from producers.identity import Identity

PASSWORD = "correct horse battery staple"


@pytest.fixture(params=["users.json", "users.toml"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> UsersFile:
    return UsersFile(tmp_path / request.param)


def test_an_account_round_trips_and_only_its_argon2id_hash_is_stored(store: UsersFile) -> None:
    store.add("tanaka", "hospital_staff", PASSWORD, ("HJ-0001", "HJ-0002"))

    user = store.load()["tanaka"]
    assert user.identity == Identity("tanaka", "hospital_staff", ("HJ-0001", "HJ-0002"))
    assert user.password_hash and user.password_hash.startswith("$argon2id$")
    text = store.path.read_text()
    assert PASSWORD not in text
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_verify_accepts_the_password_and_nothing_else(store: UsersFile) -> None:
    store.add("sato", "coordinator", PASSWORD)

    assert store.verify("sato", PASSWORD) is not None
    assert store.verify("sato", PASSWORD + " ") is None
    assert store.verify("sato", "") is None
    assert store.verify("nobody", PASSWORD) is None


def test_a_single_sign_on_account_has_no_password_to_guess(store: UsersFile) -> None:
    store.add("alice@example.org", "official", None)

    assert store.load()["alice@example.org"].password_hash is None
    assert store.verify("alice@example.org", "") is None
    assert store.verify("alice@example.org", PASSWORD) is None


def test_remove_and_duplicates(store: UsersFile) -> None:
    store.add("sato", "coordinator", PASSWORD)
    with pytest.raises(UserError) as exists:
        store.add("sato", "official", PASSWORD)
    assert exists.value.message("en") == "username: already exists"

    store.remove("sato")
    assert store.load() == {}
    with pytest.raises(UserError, match="does not exist"):
        store.remove("sato")


@pytest.mark.parametrize(
    ("username", "role", "facilities", "password", "field", "ja"),
    [
        ("bad name", "admin", (), PASSWORD, "username", "ユーザー名は英数字で始まり"),
        ("x" * 65, "admin", (), PASSWORD, "username", "64文字以内"),
        ("suzuki", "nurse", (), PASSWORD, "role", "役割は"),
        ("suzuki", "hospital_staff", (), PASSWORD, "facility", "1つ以上必要"),
        ("suzuki", "coordinator", ("HJ-0001",), PASSWORD, "facility", "病院スタッフだけ"),
        ("suzuki", "hospital_staff", ("HJ 1",), PASSWORD, "facility", "施設IDの形式"),
        ("suzuki", "official", (), "short", "password", "12文字以上"),
        ("suzuki", "official", (), "suzuki-is-my-name", "password", "ユーザー名と同じ"),
    ],
)
def test_rules_name_the_field_and_the_rule_in_both_languages(
    store: UsersFile,
    username: str,
    role: str,
    facilities: tuple[str, ...],
    password: str,
    field: str,
    ja: str,
) -> None:
    with pytest.raises(UserError) as error:
        store.add(username, role, password, facilities)

    assert error.value.field == field
    assert error.value.message("ja").startswith(f"{field}: ") and ja in error.value.message("ja")
    assert error.value.message("en").startswith(f"{field}: ")
    assert not store.path.exists()


def test_a_toml_users_file_written_by_hand_is_read(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    path.write_text('version = 1\n[users."hc.ito"]\nrole = "coordinator"\nfacilities = []\n')

    assert UsersFile(path).load()["hc.ito"].identity == Identity("hc.ito", "coordinator")


def test_an_unreadable_users_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text("{not json")

    with pytest.raises(UserError, match="cannot be read"):
        UsersFile(path).load()


def test_users_file_defaults_to_the_data_dir(tmp_path: Path) -> None:
    assert users_path(Settings(data_dir=tmp_path)) == tmp_path / "users.json"
    assert users_path(Settings(users_file=tmp_path / "u.toml")) == tmp_path / "u.toml"


def test_staff_speak_only_for_their_facilities() -> None:
    staff = Identity("tanaka", "hospital_staff", ("HJ-0001",))
    assert staff.may_report_for("HJ-0001")
    assert not staff.may_report_for("HJ-0002")
    assert not staff.may_report_for("hj-0001")
    assert not Identity("sato", "coordinator").may_report_for("HJ-0001")
    assert Identity("root", "admin").may_report_for("HJ-0002")
    assert staff.org == "hospital" and Identity("x", "official").org == "city_hall"


def test_demo_accounts_are_created_once_and_never_silently_replaced(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = demo_accounts(settings)
    roles = {role for _, role, _ in first}
    assert roles == {"hospital_staff", "coordinator", "official", "admin"}
    store = UsersFile(users_path(settings))
    for name, _, password in first:
        assert password is not None and len(password) >= 16
        assert store.verify(name, password) is not None
    staff = [store.load()[name] for name, role, _ in first if role == "hospital_staff"]
    assert all(user.facilities for user in staff)

    store.add("coordinator", "coordinator", "their own passphrase 42", replace_existing=True)
    again = demo_accounts(settings)
    assert [(n, r) for n, r, _ in again] == [(n, r) for n, r, _ in first]
    assert all(password is None for _, _, password in again)  # kept, and said so
    assert store.verify("coordinator", "their own passphrase 42") is not None

    reset = demo_accounts(settings, reset=True)
    for (name, _, old), (_, _, new) in zip(first, reset, strict=True):
        assert new is not None and new != old
        assert store.verify(name, new) is not None
    assert store.verify("coordinator", "their own passphrase 42") is None


def run_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str],
    stdin: str = "",
) -> tuple[int, str, str]:  # fmt: skip
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_reads_the_password_from_stdin_and_never_prints_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("BEDBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BEDBOARD_LANG", "en")
    caplog.set_level(logging.DEBUG)
    argv = ["users", "add", "tanaka", "--role", "hospital_staff", "--facility", "HJ-0001"]

    code, out, err = run_cli(monkeypatch, capsys, argv, PASSWORD + "\n")
    assert code == console.DONE, err
    assert "added tanaka (hospital_staff for HJ-0001, password)" in out
    code, listed, _ = run_cli(monkeypatch, capsys, ["users", "list"])
    assert code == console.DONE and "tanaka" in listed and "HJ-0001" in listed

    users = json.loads((tmp_path / "users.json").read_text())["users"]
    assert users["tanaka"]["password_hash"].startswith("$argon2id$")
    for text in (out, err, listed, caplog.text, (tmp_path / "users.json").read_text()):
        assert PASSWORD not in text


def test_cli_refuses_a_password_given_as_an_argument_without_echoing_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("BEDBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BEDBOARD_LANG", "en")
    secret = "s3cret-typed-on-the-command-line"

    code, out, err = run_cli(
        monkeypatch, capsys, ["users", "add", "sato", secret, "--role", "coordinator"]
    )

    assert code == console.USAGE
    assert "never given as an argument" in err
    assert secret not in out + err + caplog.text
    assert not (tmp_path / "users.json").exists()


def test_cli_reports_a_broken_rule_and_removes_accounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BEDBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BEDBOARD_LANG", "en")

    code, _, err = run_cli(
        monkeypatch, capsys, ["users", "add", "sato", "--role", "coordinator"], "short\n"
    )
    assert code == console.FAILED and "password: must have at least 12 characters" in err

    code, out, _ = run_cli(monkeypatch, capsys, ["users", "add", "ito@example.org", "--role",
                                                 "official", "--sso"])  # fmt: skip
    assert code == console.DONE and "single sign-on" in out
    code, out, _ = run_cli(monkeypatch, capsys, ["users", "remove", "ito@example.org"])
    assert code == console.DONE
    code, out, _ = run_cli(monkeypatch, capsys, ["users", "list"])
    assert "no accounts" in out


def test_cli_speaks_japanese_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BEDBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BEDBOARD_LANG", raising=False)

    code, out, _ = run_cli(monkeypatch, capsys, ["users", "list"])
    assert code == console.DONE and "アカウントはありません" in out
    code, out, _ = run_cli(monkeypatch, capsys, ["users", "add", "ito", "--role", "official",
                                                 "--sso"])  # fmt: skip
    assert code == console.DONE and "ito（official、シングルサインオン）" in out
    code, out, _ = run_cli(monkeypatch, capsys, ["users", "list"])
    assert out.splitlines()[0].split() == ["ユーザー名", "役割", "サインイン", "担当施設"]
    assert out.splitlines()[1].split() == ["ito", "official", "シングルサインオン"]
