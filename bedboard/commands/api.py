"""`bedboard api`, `bedboard tokens` and `bedboard outbox`: the machines' door and its upkeep."""

from __future__ import annotations

import argparse
import threading
from typing import Any

from bedboard import service
from bedboard.console import DONE, FAILED, USAGE, say, text, warn
from bedboard.settings import Settings
from producers.outbox import waiting_in
from producers.publisher import Publisher


def api_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")


def api(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the HTTP API until Ctrl-C."""
    import uvicorn

    from api.app import create_app

    say(text(settings, "serving", host=args.host, port=args.port))
    # uvicorn stops gracefully on SIGTERM or Ctrl-C, then raises the signal again for the handler
    # it found: ours, so that the command ends with 0 like every other one rather than by the
    # signal (143) or a KeyboardInterrupt (1).
    with service.stop_on_signals(threading.Event()):
        # No access log: it would cost time on every request and says nothing the errors do not.
        uvicorn.run(
            create_app(settings),
            host=args.host,
            port=args.port,
            log_level="warning",
            access_log=False,
        )
    return DONE


def tokens_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["add", "list", "revoke"])
    p.add_argument("id", nargs="?", help="the token to revoke")
    p.add_argument("--facility", action="append", default=[], help="facility id (repeatable)")
    p.add_argument("--name", help="who speaks in its events (default api.<facility>)")
    p.add_argument("--read", action="store_true", help="read-only: may not send")


def tokens(args: argparse.Namespace, settings: Settings) -> int:
    from producers.tokens import TokenError, TokenStore

    store = TokenStore(settings.tokens_path)
    try:
        if args.action == "add":
            facilities = tuple(args.facility)
            token, secret = store.add(facilities, name=args.name, read_only=args.read)
            _audit(settings, "token_issued", f"{token.id} {token.name}", token.scope)
            kind = text(settings, "token_read" if token.read_only else "token_submit")
            shown = ", ".join(token.facilities) or "-"
            say(text(settings, "token_added", id=token.id, kind=kind, name=token.name,
                     facilities=shown, text=secret))  # fmt: skip
        elif args.action == "list":
            _list(store.load(), settings)
        else:
            if not args.id:
                warn("tokens revoke ID")
                return USAGE
            revoked = store.revoke(args.id)
            _audit(settings, "token_revoked", f"{revoked.id} {revoked.name}")
            say(text(settings, "revoked", id=revoked.id, name=revoked.name))
    except TokenError as error:
        warn(error.message(settings.lang))
        return USAGE
    return DONE


def _audit(settings: Settings, action: str, subject: str, detail: str = "") -> None:
    """A token change in the audit log beside the dashboard's, its actor the login name."""
    from bedboard.commands.produce import _cli_actor
    from dashboard.audit import AuditLog

    AuditLog(settings.audit_path).record(_cli_actor().user, action, subject, detail, source="cli")


def _list(found: dict[str, Any], settings: Settings) -> None:
    if not found:
        say(text(settings, "no_tokens"))
        return
    say("\t".join(text(settings, "token_columns").split()))
    for token in found.values():
        kind = text(settings, "token_read" if token.read_only else "token_submit")
        cells = [token.id, kind, token.name, ",".join(token.facilities) or "-", token.created_at,
                 token.revoked_at or "-"]  # fmt: skip
        say("\t".join(cells))


def outbox_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--list", action="store_true", help="only show, do not send")


def outbox(args: argparse.Namespace, settings: Settings) -> int:
    """Show what waits in every principal's outbox, then send it as the operator (unless --list)."""
    if not describe_outbox(settings):
        return DONE
    if args.list:
        return DONE
    sent = left = 0
    for path in settings.outbox_paths():
        with Publisher(settings, outbox=path) as publisher:
            sent += publisher.drain()
            left += publisher.queued
    say(text(settings, "outbox_sent", sent=sent, left=left))
    if left:
        warn(text(settings, "outbox_still", left=left))
        return FAILED
    return DONE


def describe_outbox(settings: Settings) -> int:
    """Say what waits in this machine's outboxes (one per principal); returns how many records."""
    found = [each for path in settings.outbox_paths() for each in waiting_in(path)]
    if not found:
        say(text(settings, "outbox_empty", path=settings.data_dir))
    for each in found:
        oldest = each.oldest.astimezone(settings.zone).isoformat(timespec="seconds")
        say(text(settings, "outbox_waiting", topic=each.topic, count=each.count, oldest=oldest))
    return sum(each.count for each in found)
