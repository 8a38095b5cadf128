"""`bedboard dashboard` and `bedboard demo`: run the product."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading

from bedboard import admin, broker, service
from bedboard.commands.infra import start_local_broker, stop_local_broker
from bedboard.console import DONE, FAILED, say, text, warn
from bedboard.settings import Settings
from dashboard.accounts import DEMO_STAFF_FACILITIES, demo_accounts
from dashboard.launch import dashboard_argv
from producers.demo_city import DEMO_CITY


def port_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=8501)


def demo_options(p: argparse.ArgumentParser) -> None:
    port_option(p)
    p.add_argument("--api-port", type=int, default=8000, help="the HTTP API's port")
    p.add_argument(
        "--reset-accounts",
        action="store_true",
        help="give the demo accounts new passwords even if they exist",
    )


def dashboard(args: argparse.Namespace, settings: Settings) -> int:
    """Streamlit as a child that stops with this command (SIGTERM or Ctrl-C)."""
    return service.run_child(dashboard_argv(args.port, settings))


def _local_port(bootstrap: str) -> int | None:
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    return int(port) if host in ("localhost", "127.0.0.1") and port.isdigit() else None


DEMO_TOKEN_NAME = "demo.his"  # the demo hospital's own system ("hospital information system")
CURL = """  curl -s -X POST http://localhost:{port}/v1/capacity \\
    -H "Authorization: Bearer {token}" -H "Content-Type: application/json" \\
    -d '{{"type": "capacity.reported", "version": 1,
         "event_id": "'$(python3 -c 'import uuid; print(uuid.uuid4())')'",
         "occurred_at": "'$(date -u +%Y-%m-%dT%H:%M:%SZ)'", "facility_id": "{facility}",
         "beds": [{{"bed_type": "adult_icu", "usable": 12, "occupied": 9}}]}}'"""


def demo_api_help(settings: Settings, port: int) -> str:
    """A fresh API token for one demo hospital (earlier demo tokens revoked) and a curl to try."""
    from producers.tokens import TokenStore

    store = TokenStore(settings.tokens_path)
    for token in store.load().values():
        if token.name == DEMO_TOKEN_NAME and token.active:
            store.revoke(token.id)
    facility = DEMO_STAFF_FACILITIES[0]
    _, secret = store.add((facility,), name=DEMO_TOKEN_NAME)
    curl = CURL.format(port=port, token=secret, facility=facility)
    return text(settings, "demo_api_token", facility=facility, token=secret, curl=curl)


def demo(args: argparse.Namespace, settings: Settings) -> int:
    """Broker, topics, demo registry, simulator and dashboard, until Ctrl-C."""
    port = _local_port(settings.bootstrap_servers)
    try:
        if port is not None:
            say(text(settings, "demo_broker", address=start_local_broker(settings, port)))
        admin.create_topics(settings)
    except (broker.BrokerError, admin.BrokerUnavailableError) as error:
        warn(str(error))
        return FAILED
    try:
        return _run(args, settings)
    finally:
        # Whatever stopped the demo, a failed step included, the broker it started stops too.
        if port is not None and os.environ.get("BEDBOARD_DEMO_KEEP_BROKER") != "1":
            stop_local_broker(settings)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    """The demo city, its feed and its doors, until Ctrl-C or until one of them stops."""
    bedboard = [sys.executable, "-m", "bedboard"]
    if subprocess.call([*bedboard, "facilities", "import", str(DEMO_CITY)]) != DONE:
        warn(text(settings, "demo_registry_failed"))
        return FAILED
    say(text(settings, "demo_accounts"))
    accounts = demo_accounts(settings, reset=args.reset_accounts)
    kept = text(settings, "demo_account_kept")
    for username, role, password in accounts:
        say(f"  {username:<16} {role:<15} {password or kept}")
    if any(password is None for _, _, password in accounts):
        say(text(settings, "demo_accounts_kept"))
    say(demo_api_help(settings, args.api_port))
    # The staff accounts' hospitals report once from the simulator, then only by hand.
    by_hand = [arg for facility in DEMO_STAFF_FACILITIES for arg in ("--left-to-people", facility)]
    stop = threading.Event()
    with service.stop_on_signals(stop):
        children = [
            service.start_child(argv)
            for argv in (
                [*bedboard, "simulate", "--facilities", "8", "--rate", "2", *by_hand],
                [*bedboard, "alerts"],
                [*bedboard, "lapses"],
                dashboard_argv(args.port, settings),
                [*bedboard, "api", "--port", str(args.api_port)],
            )
        ]
        say(text(settings, "demo_running", port=args.port))
        say(text(settings, "demo_api_running", port=args.api_port))
        if not service.supervise(children, stop):
            warn(text(settings, "demo_child_stopped"))
    return DONE
