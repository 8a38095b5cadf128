"""`bedboard notify`: the notifier, which sends webhooks and e-mails to the subscribers."""

from __future__ import annotations

import argparse
import threading

from kafka.errors import KafkaError

from bedboard import service
from bedboard.console import DONE, FAILED, say, text, warn
from bedboard.settings import Settings
from consumers.notifier import Notifier
from consumers.notify_store import NotifyStore
from consumers.senders import sender


def notify_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--until-caught-up", action="store_true", help="stop once nothing is owed")
    p.add_argument(
        "--from-beginning",
        action="store_true",
        help="on the group's very first start, tell of the whole log (default: from now on)",
    )


def notify(args: argparse.Namespace, settings: Settings) -> int:
    store = NotifyStore(settings.notify_path)
    notifier = Notifier(settings, store, sender(settings), from_beginning=args.from_beginning)
    smtp = f"{settings.smtp_host}:{settings.smtp_port}" if settings.smtp_host else "-"
    started = text(settings, "notify_start", group=notifier.group_id, store=store.path, smtp=smtp)
    try:
        with service.stop_on_signals(threading.Event()) as stop:
            say(started)
            count = notifier.run(stop, until_caught_up=args.until_caught_up)
    except KafkaError as error:
        warn(text(settings, "broker", error=type(error).__name__))
        return FAILED
    say(text(settings, "notify_done", count=count, pending=store.pending()))
    return DONE
