"""A real single-node Apache Kafka broker (KRaft, combined mode) on this machine."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from bedboard import credentials
from bedboard.admin import broker_answers
from bedboard.broker_config import HOST, configured_port
from bedboard.broker_setup import DEFAULT_JARS_DIR, format_storage, prepare, tail
from bedboard.broker_setup import POM as POM
from bedboard.broker_setup import BrokerError as BrokerError
from bedboard.broker_setup import credentials_file as credentials_file
from bedboard.broker_setup import fetch_jars as fetch_jars
from bedboard.credentials import OPERATOR

log = logging.getLogger(__name__)

KAFKA_VERSION = "4.3.1"
LOG_CONFIG = Path(__file__).resolve().parents[1] / "infra" / "log4j2.xml"
DEFAULT_DATA_DIR = Path(".bedboard/kafka")
_HAS_PROC = Path("/proc/self").exists()
# Small heaps: tests and the demo share a 2-core machine with everything else; a node of a local
# cluster has a third of the load and two more JVMs beside it.
SINGLE_HEAP = ("-Xms256m", "-Xmx512m")
CLUSTER_HEAP = ("-Xms128m", "-Xmx256m")
JVM_OPTIONS = (
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
    return free_ports(2, host, attempts)


def free_ports(count: int, host: str = HOST, attempts: int = 200) -> int:
    """A free port P such that P + 1, ..., P + count - 1 are free too, below the range the kernel
    hands out to outgoing connections: a port from that range can be taken by any client's
    socket between this probe and the broker's bind, or while a stopped node is down."""
    low, high = _listening_range()
    for _ in range(attempts):
        port = random.randrange(low, high - count)
        if all(port_free(p, host) for p in range(port, port + count)):
            return port
    raise BrokerError(f"found no {count} free consecutive ports on {host} in {low}-{high}")


def _listening_range() -> tuple[int, int]:
    """Ports for our own listeners: from 10000 up to the kernel's ephemeral range."""
    try:
        first = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        first = 32768  # Linux's default; elsewhere a collision only costs a retry
    return (10000, first) if first > 11000 else (first, 65536)


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
    pid = running_pid(data_dir)
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
    secrets = prepare(port, data_dir)
    classpath = f"{jars}/*"
    if not (data_dir / "data" / "meta.properties").exists():
        format_storage(java, classpath, data_dir, secrets)
    pid = launch(java, classpath, data_dir, SINGLE_HEAP)
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
    pid = running_pid(data_dir)
    if pid is None:
        _pid_file(data_dir).unlink(missing_ok=True)
        return False
    # SIGTERM lets Kafka close its logs cleanly, so that the next start needs no recovery.
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if not wait_for_exit(pid, timeout):
        log.warning("the broker (pid %d) ignored SIGTERM for %.0f s; killing it", pid, timeout)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        if not wait_for_exit(pid, 10):
            raise BrokerError(f"the broker (pid {pid}) did not exit even after SIGKILL")
    _pid_file(data_dir).unlink(missing_ok=True)
    return True


def status(data_dir: Path = DEFAULT_DATA_DIR) -> dict[str, object]:
    """Whether the broker of data_dir runs, its pid, port and bootstrap address."""
    data_dir = data_dir.resolve()
    pid = running_pid(data_dir)
    port = _configured_port(data_dir)
    address = f"{HOST}:{port}" if port is not None else None
    answering = (
        pid is not None and address is not None and answers(address, credentials_file(data_dir))
    )
    return {
        "running": pid is not None,
        "answering": answering,
        "pid": pid,
        "port": port,
        "bootstrap": address if pid is not None else None,
        "data_dir": str(data_dir),
        "log": str(data_dir / "logs" / "server.log"),
        "credentials": str(credentials_file(data_dir)),
    }


def answers(address: str, secrets_file: Path, timeout: float = 3) -> bool:
    """Whether a broker answers at address, signed in as the operator of secrets_file."""
    try:
        secrets = credentials.read(secrets_file)
    except credentials.CredentialsError:
        return False
    if secrets is None:
        return False
    options = {"bootstrap_servers": [address], **secrets.client_options(OPERATOR)}
    return broker_answers(options, timeout)


def launch(java: str, classpath: str, data_dir: Path, heap: tuple[str, ...]) -> int:
    """Start the Kafka node of data_dir's server.properties in the background; its pid."""
    command = [
        java,
        *heap,
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
    wait_until(lambda: answers(address, credentials_file(data_dir)), data_dir, pid, deadline)


def wait_until(
    ready: Callable[[], bool], data_dir: Path, pid: int, deadline: float, hint: str = ""
) -> None:
    """Return once ready() while the node of data_dir (pid) runs; else a BrokerError, its log."""
    port = _configured_port(data_dir)
    while True:
        if not _alive(pid):
            raise BrokerError(
                f"the broker (pid {pid}) exited while starting; the end of its log:\n"
                + _logtail(data_dir)
            )
        if ready():
            return
        if time.monotonic() >= deadline:
            raise BrokerError(
                f"the broker did not answer on {HOST}:{port} in time{hint}; the end of its log:\n"
                + _logtail(data_dir)
            )
        time.sleep(0.2)


def wait_for_exit(pid: int, timeout: float) -> bool:
    """Whether process pid exited within timeout seconds."""
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


def running_pid(data_dir: Path) -> int | None:
    """The pid of the Kafka node of data_dir, if it runs."""
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
        return configured_port((data_dir / "server.properties").read_text())
    except FileNotFoundError:
        return None


def _pid_file(data_dir: Path) -> Path:
    return data_dir / "broker.pid"


def _logtail(data_dir: Path, lines: int = 20) -> str:
    parts = []
    for name in ("broker.out", "logs/server.log"):
        path = data_dir / name
        if path.is_file():
            parts.append(f"--- {path}\n" + tail(path.read_text(errors="replace"), lines))
    return "\n".join(parts) or "(no log written)"
