"""One typed settings class, read from BEDBOARD_* environment variables."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bedboard import credentials
from bedboard.credentials import OPERATOR

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BEDBOARD_", frozen=True)

    bootstrap_servers: str = "localhost:9092"
    # Given explicitly so that clients never probe the broker (a 30 s stall when it is down).
    kafka_api_version: tuple[int, int] = (4, 3)
    # Who this process is on Kafka: picks its password from the local credentials file. Each
    # command names its own (cli.PRINCIPAL_OF); BEDBOARD_KAFKA_PRINCIPAL overrides it.
    kafka_principal: str = OPERATOR
    # The local broker's credentials (`bedboard broker start`); default <data_dir>/kafka/...
    kafka_credentials_file: Path | None = None
    # Explicit security settings (a managed cluster) win over the local credentials file.
    kafka_security_protocol: str | None = None
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None  # a private CA's certificate (PEM)
    kafka_ssl_certfile: Path | None = None  # this client's certificate, for mutual TLS
    kafka_ssl_keyfile: Path | None = None
    kafka_ssl_password: SecretStr | None = None  # of the key file, if it is encrypted
    topic_prefix: str = "bedboard."
    # Each command keeps its own replica file by default so that they never contend.
    db: Path | None = None
    data_dir: Path = Path(".bedboard")
    timezone: str = "Asia/Tokyo"
    snapshot_cutoff: time = time(9, 0)
    stale_after: timedelta = timedelta(hours=6)
    lang: str = "ja"
    occupancy_alert_threshold: float = 0.95
    # The waiting list: a request unanswered this long is flagged; a bed hold lapses this long
    # after the acceptance unless the patient was admitted or the placement cancelled.
    answer_within: timedelta = timedelta(minutes=30)
    hold_for: timedelta = timedelta(hours=3)
    users_file: Path | None = None
    session_ttl: timedelta = timedelta(hours=8)  # a sign-in ends this long after it began
    session_idle: timedelta = timedelta(minutes=30)  # or after this long without a page action
    # The most records a roll-up gathers into one transaction while it catches up with the
    # log. Bigger commits cost less per report (50,000: a third less than 10,000) and hold more
    # memory (three batches alive at once); docs/benchmarks.md has the roll-up's peak RSS.
    rollup_batch: int = Field(default=50_000, ge=1)
    # Checkpoints of the replica (consumers/checkpoint.py): where, how often, and S3 if set.
    checkpoint_dir: Path | None = None
    checkpoint_every: timedelta = timedelta(minutes=10)
    checkpoint_s3_url: str | None = None  # s3://bucket/prefix; credentials as boto3 finds them
    checkpoint_s3_endpoint: str | None = None  # an S3-compatible server other than AWS
    # The HTTP API: its tokens file, and each token's sustained requests a second and burst.
    tokens_file: Path | None = None
    api_rate: float = 5.0
    api_burst: int = 20
    # Set only behind a reverse proxy that sets it (e.g. X-Forwarded-For): anyone can send it.
    trusted_proxy_header: str | None = None
    # The dashboard serves HTTPS itself when both are set (else put a TLS proxy in front).
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    # How far back a time typed into a capacity CSV may go.
    csv_max_age: timedelta = timedelta(days=7)
    # The returns and open data (contract v2): which bed types are severe (重症者用), comma-
    # separated codes; the city's 全国地方公共団体コード and names; per-facility open data.
    severe_bed_types: str = "adult_icu,hcu"
    city_code: str = "132012"
    city_name: str = "八王子市"
    prefecture: str = "東京都"
    open_data_per_facility: bool = False
    # Notifications (`bedboard notify`): subscriptions and deliveries (default <data_dir>/
    # notify.sqlite); the SMTP server for e-mail (none: e-mails fail and an admin sees it); how
    # often a failed delivery is tried, waiting twice as long each time up to the longest wait.
    notify_file: Path | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "bedboard@localhost"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    notify_attempts: int = 8
    notify_first_retry: timedelta = timedelta(seconds=5)
    notify_longest_retry: timedelta = timedelta(minutes=15)
    notify_timeout: timedelta = timedelta(seconds=10)
    # A notifier's own name in its group (static membership): restarted under the same name it
    # takes its partitions back at once instead of after the dead one's session times out.
    notify_member: str | None = None

    @field_validator("city_code")
    @classmethod
    def _local_government_code(cls, value: str) -> str:
        if not local_government_code_ok(value):
            raise ValueError(
                "BEDBOARD_CITY_CODE must be a 6-digit 全国地方公共団体コード with its check digit "
                "(Hachioji: 132012)"
            )
        return value

    @property
    def severe(self) -> frozenset[str]:
        """The bed types that count as severe (重症者用) in the returns."""
        return frozenset(_codes(self.severe_bed_types))

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

    @field_validator("kafka_security_protocol")
    @classmethod
    def _known_protocol(cls, value: str | None) -> str | None:
        if value is not None and value not in SECURITY_PROTOCOLS:
            raise ValueError(
                f"BEDBOARD_KAFKA_SECURITY_PROTOCOL must be one of {', '.join(SECURITY_PROTOCOLS)}"
            )
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def credentials_path(self) -> Path:
        """Where the local broker's credentials are looked for."""
        return self.kafka_credentials_file or self.data_dir / "kafka" / credentials.FILE_NAME

    def as_principal(self, principal: str) -> Settings:
        """These settings for a process that runs as principal, unless the environment names one."""
        if "kafka_principal" in self.model_fields_set:
            return self
        return self.model_copy(update={"kafka_principal": principal})

    def local_credentials(self) -> credentials.LocalCredentials | None:
        """The local broker's credentials, unless explicit SASL or mutual TLS settings are given."""
        if self.kafka_sasl_username is not None or self.kafka_ssl_certfile is not None:
            return None
        found = credentials.read(self.credentials_path)
        if found is None and self.kafka_credentials_file is not None:
            raise credentials.CredentialsError(
                f"BEDBOARD_KAFKA_CREDENTIALS_FILE: {self.kafka_credentials_file} does not exist"
            )
        return found

    def kafka_options(self) -> dict[str, object]:
        """Connection options shared by every Kafka client, security included."""
        options: dict[str, object] = {
            "bootstrap_servers": self.bootstrap_servers.split(","),
            "api_version": self.kafka_api_version,
        }
        tls = {
            "ssl_cafile": self.kafka_ssl_cafile,
            "ssl_certfile": self.kafka_ssl_certfile,
            "ssl_keyfile": self.kafka_ssl_keyfile,
            "ssl_password": self.kafka_ssl_password,
        }
        options |= {
            key: value.get_secret_value() if isinstance(value, SecretStr) else str(value)
            for key, value in tls.items()
            if value is not None
        }
        local = self.local_credentials()
        if local is not None:
            options |= local.client_options(self.kafka_principal)
        elif self.kafka_sasl_username is not None:
            password = self.kafka_sasl_password
            options |= {
                "security_protocol": "SASL_SSL" if self.kafka_ssl_cafile else "SASL_PLAINTEXT",
                "sasl_mechanism": self.kafka_sasl_mechanism or credentials.MECHANISM,
                "sasl_plain_username": self.kafka_sasl_username,
                "sasl_plain_password": password.get_secret_value() if password else None,
            }
        else:
            # Mutual TLS (a client certificate) or TLS with a private CA, else no security.
            tls_given = self.kafka_ssl_certfile or self.kafka_ssl_cafile
            options["security_protocol"] = "SSL" if tls_given else "PLAINTEXT"
        if self.kafka_security_protocol is not None:
            options["security_protocol"] = self.kafka_security_protocol
        return options

    def topic(self, name: str) -> str:
        """The full topic name for a short name such as 'capacity'."""
        return f"{self.topic_prefix}{name}"

    def replica_path(self, command: str) -> Path:
        """The replica file of a command: BEDBOARD_DB if set, else one file per command."""
        return self.db or self.data_dir / f"{command}.duckdb"

    @property
    def sessions_path(self) -> Path:
        return self.data_dir / "sessions.sqlite"

    @property
    def audit_path(self) -> Path:
        return self.data_dir / "audit.jsonl"

    @property
    def outbox_path(self) -> Path:
        """This principal's outbox: each process queues only what it may itself send, so that a
        drain never stops at a record its principal may not write (an alert in the dashboard's)."""
        if self.kafka_principal == OPERATOR:
            return self.data_dir / "outbox.sqlite"
        return self.data_dir / f"outbox-{self.kafka_principal}.sqlite"

    def outbox_paths(self) -> list[Path]:
        """Every principal's outbox on this machine, the operator's first."""
        others = sorted(self.data_dir.glob("outbox-*.sqlite"))
        return [p for p in [self.data_dir / "outbox.sqlite", *others] if p.exists()]

    @property
    def notify_path(self) -> Path:
        return self.notify_file or self.data_dir / "notify.sqlite"

    @property
    def tokens_path(self) -> Path:
        return self.tokens_file or self.data_dir / "api-tokens.json"


def _codes(value: str) -> list[str]:
    # Which codes are bed types is the contract's to say: the commands check them.
    return [c.strip() for c in value.split(",") if c.strip()]


def local_government_code_ok(code: str) -> bool:
    """A 全国地方公共団体コード: five digits and the check digit the ministry defines."""
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(code[:5], (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10 == int(code[5])
