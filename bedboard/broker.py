"""A real single-node Apache Kafka broker (KRaft, combined mode) on this machine."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

from bedboard.admin import broker_answers

log = logging.getLogger(__name__)

KAFKA_VERSION = "4.3.1"
INFRA_DIR = Path(__file__).resolve().parents[1] / "infra"
POM = INFRA_DIR / "pom.xml"
LOG_CONFIG = INFRA_DIR / "log4j2.xml"
DEFAULT_JARS_DIR = Path(".bedboard/jars")
DEFAULT_DATA_DIR = Path(".bedboard/kafka")
HOST = "127.0.0.1"
_HAS_PROC = Path("/proc/self").exists()
JVM_OPTIONS = (
    # Small heap: tests and the demo share a 2-core machine with everything else.
    "-Xms256m",
    "-Xmx512m",
    # The GC settings of Kafka's own start script.
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-Djava.awt.headless=true",
    # Kafka stops itself on SIGTERM; log4j's own hook would only warn during that shutdown.
    "-Dlog4j2.shutdownHookEnabled=false",
)

# The broker processes this Python process started, kept so that they can be reaped (no zombies).
_children: dict[int, subprocess.Popen[bytes]] = {}


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
            + _tail(done.stdout + done.stderr)
        )
    (staging / marker.name).write_text(digest + "\n")
    shutil.rmtree(jars_dir, ignore_errors=True)
    jars_dir.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(jars_dir)
    return jars_dir


def render_server_properties(port: int, data_dir: Path) -> str:
    """The server.properties of a single-node broker on port and its controller on port + 1."""
    broker, controller = f"{HOST}:{port}", f"{HOST}:{port + 1}"
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "listeners": f"PLAINTEXT://{broker},CONTROLLER://{controller}",
        "advertised.listeners": f"PLAINTEXT://{broker},CONTROLLER://{controller}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "controller.quorum.bootstrap.servers": controller,
        "log.dirs": str(data_dir / "data"),
        "num.partitions": "1",
        "auto.create.topics.enable": "false",
        # One node: every internal topic has one replica, and one partition so that the first
        # consumer group or transaction does not wait for 50 partitions to be created.
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "share.coordinator.state.topic.num.partitions": "1",
        # Consumers in tests and the demo join alone; waiting 3 s for more members is pure delay.
        "group.initial.rebalance.delay.ms": "0",
        # The compacted topics are small; the default 128 MiB buffer is a quarter of the heap.
        "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
        "num.network.threads": "2",
        "num.io.threads": "4",
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def port_free(port: int, host: str = HOST) -> bool:
    """Whether a server could listen on host:port right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the JVM does, so that connections in TIME_WAIT from an earlier broker don't count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port_pair(host: str = HOST, attempts: int = 50) -> int:
    """A free port P such that P + 1 is free too."""
    for _ in range(attempts):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
            port = int(probe.getsockname()[1])
        if port < 65535 and port_free(port, host) and port_free(port + 1, host):
            return port
    raise BrokerError(f"found no two free consecutive ports on {host}")


def start(
    port: int = 9092,
    data_dir: Path = DEFAULT_DATA_DIR,
    jars_dir: Path | None = None,
    timeout: float = 90,
) -> str:
    """Start the broker of data_dir (unless it already runs) and return its bootstrap address."""
    data_dir = data_dir.resolve()
    address = f"{HOST}:{port}"
    deadline = time.monotonic() + timeout
    pid = _running_pid(data_dir)
    if pid is not None:
        running_port = _configured_port(data_dir)
        if running_port != port:
            raise BrokerError(
                f"the broker of {data_dir} already runs (pid {pid}) on port {running_port}; "
                "stop it first or use another data directory"
            )
        _wait_until_ready(address, data_dir, pid, deadline)
        return address
    java = shutil.which("java")
    if java is None:
        raise BrokerError("Java ('java', version 17 or later) is not on PATH; the broker needs it.")
    for wanted in (port, port + 1):
        if not port_free(wanted):
            raise BrokerError(
                f"port {wanted} on {HOST} is already taken by another program; the broker needs "
                f"ports {port} and {port + 1} (choose another with --port)"
            )
    jars = fetch_jars(jars_dir or DEFAULT_JARS_DIR)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "server.properties").write_text(render_server_properties(port, data_dir))
    classpath = f"{jars}/*"
    if not (data_dir / "data" / "meta.properties").exists():
        _format_storage(java, classpath, data_dir)
    pid = _launch(java, classpath, data_dir)
    log.info("started the broker (pid %d) on %s", pid, address)
    try:
        _wait_until_ready(address, data_dir, pid, deadline)
    except BrokerError:
        stop(data_dir)
        raise
    return address


def stop(data_dir: Path = DEFAULT_DATA_DIR, timeout: float = 30) -> bool:
    """Stop the broker of data_dir; False if none was running."""
    data_dir = data_dir.resolve()
    pid = _running_pid(data_dir)
    if pid is None:
        _pid_file(data_dir).unlink(missing_ok=True)
        return False
    # SIGTERM lets Kafka close its logs cleanly, so that the next start needs no recovery.
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if not _wait_for_exit(pid, timeout):
        log.warning("the broker (pid %d) ignored SIGTERM for %.0f s; killing it", pid, timeout)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        if not _wait_for_exit(pid, 10):
            raise BrokerError(f"the broker (pid {pid}) did not exit even after SIGKILL")
    _pid_file(data_dir).unlink(missing_ok=True)
    return True


def status(data_dir: Path = DEFAULT_DATA_DIR) -> dict[str, object]:
    """Whether the broker of data_dir runs, its pid, port and bootstrap address."""
    data_dir = data_dir.resolve()
    pid = _running_pid(data_dir)
    port = _configured_port(data_dir)
    address = f"{HOST}:{port}" if port is not None else None
    return {
        "running": pid is not None,
        "answering": pid is not None and address is not None and broker_answers(address),
        "pid": pid,
        "port": port,
        "bootstrap": address if pid is not None else None,
        "data_dir": str(data_dir),
        "log": str(data_dir / "logs" / "server.log"),
    }


def _format_storage(java: str, classpath: str, data_dir: Path) -> None:
    # A cluster id is 16 random bytes in URL-safe base64 without padding, as Kafka's Uuid prints
    # it; Kafka never issues one that starts with '-', since that reads as a command-line flag.
    cluster_id = "-"
    while cluster_id.startswith("-"):
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    command = [
        java,
        "-cp",
        classpath,
        "kafka.tools.StorageTool",
        "format",
        "--standalone",
        "-t",
        cluster_id,
        "-c",
        str(data_dir / "server.properties"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BrokerError(
            "formatting the broker's storage failed:\n" + _tail(done.stdout + done.stderr)
        )


def _launch(java: str, classpath: str, data_dir: Path) -> int:
    command = [
        java,
        *JVM_OPTIONS,
        f"-Dlog4j2.configurationFile={LOG_CONFIG}",
        f"-Dkafka.logs.dir={data_dir / 'logs'}",
        "-cp",
        classpath,
        "kafka.Kafka",
        str(data_dir / "server.properties"),
    ]
    with (data_dir / "broker.out").open("wb") as out:
        # A session of its own: the broker outlives this command and ignores its Ctrl-C.
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=data_dir,
            start_new_session=True,
        )
    _children[process.pid] = process
    _pid_file(data_dir).write_text(f"{process.pid}\n")
    return process.pid


def _wait_until_ready(address: str, data_dir: Path, pid: int, deadline: float) -> None:
    while True:
        if not _alive(pid):
            raise BrokerError(
                f"the broker (pid {pid}) exited while starting; the end of its log:\n"
                + _log_tail(data_dir)
            )
        if broker_answers(address):
            return
        if time.monotonic() >= deadline:
            raise BrokerError(
                f"the broker did not answer on {address} in time; the end of its log:\n"
                + _log_tail(data_dir)
            )
        time.sleep(0.2)


def _wait_for_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None  # poll() also reaps it, so it never lingers as a zombie
    if not _HAS_PROC:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state letter follows the parenthesised command name; a zombie (Z) has exited.
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _running_pid(data_dir: Path) -> int | None:
    try:
        pid = int(_pid_file(data_dir).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    if not _alive(pid) or not _is_broker_of(pid, data_dir):
        return None
    return pid


def _is_broker_of(pid: int, data_dir: Path) -> bool:
    # A stale pid file may name a pid that now belongs to another program.
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return not _HAS_PROC  # without /proc, trust the pid file
    return b"kafka.Kafka" in cmdline and str(data_dir / "server.properties").encode() in cmdline


def _configured_port(data_dir: Path) -> int | None:
    try:
        lines = (data_dir / "server.properties").read_text().splitlines()
    except FileNotFoundError:
        return None
    for line in lines:
        if line.startswith("listeners="):
            for listener in line.partition("=")[2].split(","):
                if listener.startswith("PLAINTEXT://"):
                    return int(listener.rsplit(":", 1)[1])
    return None


def _pid_file(data_dir: Path) -> Path:
    return data_dir / "broker.pid"


def _log_tail(data_dir: Path, lines: int = 20) -> str:
    parts = []
    for name in ("broker.out", "logs/server.log"):
        path = data_dir / name
        if path.is_file():
            parts.append(f"--- {path}\n" + _tail(path.read_text(errors="replace"), lines))
    return "\n".join(parts) or "(no log written)"


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
