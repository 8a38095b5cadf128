"""Which security options every Kafka client gets: explicit settings win, else the local
broker's credentials file, else none."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bedboard.cli import main
from bedboard.credentials import PRINCIPALS, LocalCredentials
from bedboard.settings import Settings

SECRETS = LocalCredentials(
    passwords={name: f"pw-{name}" for name in PRINCIPALS}, controller_password="c"
)


@pytest.fixture(autouse=True)
def no_bedboard_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("BEDBOARD_")]:
        monkeypatch.delenv(key)


@pytest.fixture
def local(tmp_path: Path) -> Settings:
    """Settings on a machine where `bedboard broker start` left its credentials."""
    SECRETS.write(tmp_path / "kafka" / "credentials.json")
    return Settings(data_dir=tmp_path)


def test_without_credentials_a_client_has_no_security(tmp_path: Path) -> None:
    options = Settings(data_dir=tmp_path).kafka_options()

    assert options["security_protocol"] == "PLAINTEXT"
    assert "sasl_plain_username" not in options


def test_local_commands_sign_in_as_the_operator(local: Settings) -> None:
    options = local.kafka_options()

    assert options["security_protocol"] == "SASL_PLAINTEXT"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("admin", "pw-admin")


def test_a_process_signs_in_as_its_own_principal(local: Settings) -> None:
    options = local.as_principal("replica").kafka_options()

    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == (
        "replica",
        "pw-replica",
    )


def test_the_environment_names_the_principal_first(
    local: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEDBOARD_KAFKA_PRINCIPAL", "alerts")

    chosen = Settings(data_dir=local.data_dir).as_principal("replica")

    assert chosen.kafka_options()["sasl_plain_username"] == "alerts"


def test_explicit_credentials_win_over_the_local_file(
    local: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEDBOARD_KAFKA_SASL_USERNAME", "bedboard-dashboard")
    monkeypatch.setenv("BEDBOARD_KAFKA_SASL_PASSWORD", "managed")
    monkeypatch.setenv("BEDBOARD_KAFKA_SSL_CAFILE", "/etc/bedboard/ca.pem")

    options = Settings(data_dir=local.data_dir).as_principal("dashboard").kafka_options()

    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "bedboard-dashboard"
    assert options["sasl_plain_password"] == "managed"
    assert options["ssl_cafile"] == "/etc/bedboard/ca.pem"


def test_a_client_certificate_means_mutual_tls(
    local: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEDBOARD_KAFKA_SSL_CAFILE", "/ca.pem")
    monkeypatch.setenv("BEDBOARD_KAFKA_SSL_CERTFILE", "/replica.pem")
    monkeypatch.setenv("BEDBOARD_KAFKA_SSL_KEYFILE", "/replica.key")
    monkeypatch.setenv("BEDBOARD_KAFKA_SSL_PASSWORD", "key-secret")

    options = Settings(data_dir=local.data_dir).kafka_options()

    assert options["security_protocol"] == "SSL"
    assert "sasl_mechanism" not in options
    assert (options["ssl_certfile"], options["ssl_keyfile"]) == ("/replica.pem", "/replica.key")
    assert options["ssl_password"] == "key-secret"


def test_an_explicit_protocol_wins(local: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEDBOARD_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")

    assert Settings(data_dir=local.data_dir).kafka_options()["security_protocol"] == "SASL_SSL"


def test_an_unknown_protocol_is_named() -> None:
    with pytest.raises(ValueError, match="BEDBOARD_KAFKA_SECURITY_PROTOCOL must be one of"):
        Settings(kafka_security_protocol="TLS")


def test_an_unknown_principal_is_named(local: Settings) -> None:
    with pytest.raises(RuntimeError, match="no local Kafka credentials for principal 'mallory'"):
        local.as_principal("mallory").kafka_options()


def test_a_named_credentials_file_that_is_missing_is_named(tmp_path: Path) -> None:
    settings = Settings(kafka_credentials_file=tmp_path / "nowhere.json")

    with pytest.raises(RuntimeError, match="BEDBOARD_KAFKA_CREDENTIALS_FILE: .*nowhere.json"):
        settings.kafka_options()


def test_the_command_line_names_a_credentials_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BEDBOARD_KAFKA_CREDENTIALS_FILE", str(tmp_path / "nowhere.json"))

    monkeypatch.setenv("BEDBOARD_LANG", "en")

    assert main(["topics"]) == 1
    assert "Kafka credentials: BEDBOARD_KAFKA_CREDENTIALS_FILE" in capsys.readouterr().err
