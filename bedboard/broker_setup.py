"""Getting a local broker's files ready: its jars, credentials, server.properties and storage."""

from __future__ import annotations

import base64
import hashlib
import logging
import shutil
import subprocess
import uuid
from pathlib import Path

from bedboard import credentials
from bedboard.broker_config import (
    properties,
    render_server_properties,
    scram_arguments,
    security_properties,
)
from bedboard.credentials import LocalCredentials

log = logging.getLogger(__name__)

INFRA_DIR = Path(__file__).resolve().parents[1] / "infra"
POM = INFRA_DIR / "pom.xml"
DEFAULT_JARS_DIR = Path(".bedboard/jars")


class BrokerError(RuntimeError):
    """The local broker could not be fetched, started or stopped."""


def fetch_jars(jars_dir: Path = DEFAULT_JARS_DIR) -> Path:
    """Copy the broker's jars from Maven Central into jars_dir, once per version of the pom."""
    if not POM.is_file():
        raise BrokerError(f"{POM} is missing: run the local broker from a checkout of Bedboard")
    jars_dir = jars_dir.resolve()
    marker = jars_dir / ".pom-sha256"
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()
    if marker.is_file() and marker.read_text().strip() == digest:
        return jars_dir
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerError(
            "Maven ('mvn') is not on PATH; it fetches the Kafka broker's jars from Maven Central. "
            "Install it (e.g. apt-get install maven) and try again."
        )
    # Copy into a fresh folder and swap it in, so that an interrupted fetch or an older pom's
    # jars never end up on the classpath.
    staging = jars_dir.with_name(jars_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    command = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(POM),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={staging}",
    ]
    log.info("fetching the broker's jars: %s", " ".join(command))
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not any(staging.glob("kafka_2.13-*.jar")):
        raise BrokerError(
            f"fetching the broker's jars failed ({' '.join(command)}):\n"
            + tail(done.stdout + done.stderr)
        )
    (staging / marker.name).write_text(digest + "\n")
    shutil.rmtree(jars_dir, ignore_errors=True)
    jars_dir.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(jars_dir)
    return jars_dir


def credentials_file(data_dir: Path) -> Path:
    """Where the broker of data_dir keeps its principals' passwords."""
    return data_dir / credentials.FILE_NAME


def prepare(port: int, data_dir: Path) -> LocalCredentials:
    """The data dir (owner only), its credentials and server.properties, ready to start."""
    formatted = (data_dir / "data" / "meta.properties").exists()
    if formatted and not credentials_file(data_dir).exists():
        raise BrokerError(
            f"{data_dir} holds a broker formatted before Kafka required authentication (or its "
            f"{credentials.FILE_NAME} was removed), so no client could sign in to it. Its topics "
            f"are only local demo or test data: remove {data_dir} and start again."
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    secrets = credentials.read_or_create(credentials_file(data_dir))
    properties = data_dir / "server.properties"
    # It holds the broker's own passwords: owner only, before a byte is written.
    properties.touch(mode=0o600)
    properties.chmod(0o600)
    properties.write_text(render_server_properties(port, data_dir, secrets))
    return secrets


def new_cluster_id() -> str:
    """A cluster id as Kafka's Uuid prints it: 16 random bytes, URL-safe base64, no padding."""
    # Kafka never issues one that starts with '-', since that reads as a command-line flag.
    cluster_id = "-"
    while cluster_id.startswith("-"):
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    return cluster_id


def format_storage(
    java: str,
    classpath: str,
    data_dir: Path,
    secrets: LocalCredentials,
    cluster_id: str | None = None,
) -> None:
    """Format data_dir's storage: a quorum of one by itself, or (with cluster_id) one node of a
    cluster whose server.properties lists every voter."""
    quorum = ["--standalone"] if cluster_id is None else []
    command = [
        java,
        "-cp",
        classpath,
        "kafka.tools.StorageTool",
        "format",
        *quorum,
        "-t",
        cluster_id or new_cluster_id(),
        "-c",
        str(data_dir / "server.properties"),
        # The SCRAM users exist from the first record of the metadata log: no window in which
        # the broker runs without them. Every node of a cluster gets them, since any of them
        # may be the first controller leader, which writes them.
        *scram_arguments(secrets),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BrokerError(
            "formatting the broker's storage failed:\n" + tail(done.stdout + done.stderr)
        )


def tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def write_broker_secrets(secrets_dir: Path) -> list[Path]:
    """For a broker started elsewhere (docker-compose.yml): the credentials file, the security
    part of its server.properties and its StorageTool --add-scram arguments, each owner-only;
    existing credentials are kept."""
    secrets = credentials.read_or_create(secrets_dir / credentials.FILE_NAME)
    written = [secrets_dir / credentials.FILE_NAME]
    for name, text in (
        ("broker-security.properties", properties(security_properties(secrets))),
        ("scram-arguments", " ".join(scram_arguments(secrets)) + "\n"),
    ):
        path = secrets_dir / name
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text(text)
        written.append(path)
    return written
