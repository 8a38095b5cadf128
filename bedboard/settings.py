"""One typed settings class, read from BEDBOARD_* environment variables."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BEDBOARD_", frozen=True)

    bootstrap_servers: str = "localhost:9092"
    # Given explicitly so that clients never probe the broker (a 30 s stall when it is down).
    kafka_api_version: tuple[int, int] = (4, 3)
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    topic_prefix: str = "bedboard."
    # Each command keeps its own replica file by default so that they never contend.
    db: Path | None = None
    data_dir: Path = Path(".bedboard")
    timezone: str = "Asia/Tokyo"
    snapshot_cutoff: time = time(9, 0)
    stale_after: timedelta = timedelta(hours=6)
    lang: str = "ja"
    occupancy_alert_threshold: float = 0.95
    users_file: Path | None = None
    session_ttl: timedelta = timedelta(hours=8)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone
        return value

    @field_validator("lang")
    @classmethod
    def _known_lang(cls, value: str) -> str:
        if value not in ("ja", "en"):
            raise ValueError("BEDBOARD_LANG must be 'ja' or 'en'")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def kafka_options(self) -> dict[str, object]:
        """Connection options shared by every Kafka client."""
        options: dict[str, object] = {
            "bootstrap_servers": self.bootstrap_servers.split(","),
            "api_version": self.kafka_api_version,
            "security_protocol": self.kafka_security_protocol,
        }
        if self.kafka_sasl_mechanism:
            options["sasl_mechanism"] = self.kafka_sasl_mechanism
            options["sasl_plain_username"] = self.kafka_sasl_username
            options["sasl_plain_password"] = (
                self.kafka_sasl_password.get_secret_value() if self.kafka_sasl_password else None
            )
        return options

    def topic(self, name: str) -> str:
        """The full topic name for a short name such as 'capacity'."""
        return f"{self.topic_prefix}{name}"

    def replica_path(self, command: str) -> Path:
        """The replica file of a command: BEDBOARD_DB if set, else one file per command."""
        return self.db or self.data_dir / f"{command}.duckdb"

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / "outbox.sqlite"
