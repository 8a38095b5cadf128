"""`bedboard alerts`: the alert processor, one member of a consumer group on the capacity stream."""

from __future__ import annotations

import argparse
import threading
from functools import partial

from kafka.errors import KafkaError

from bedboard import service
from bedboard.console import DONE, FAILED, USAGE, say, text, warn
from bedboard.settings import Settings
from consumers.alerts import AlertProcessor
from producers.publisher import Publisher


def alerts_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--until-caught-up", action="store_true")
    p.add_argument("--threshold", type=float, help="occupancy rate that raises (e.g. 0.95)")


def alerts(args: argparse.Namespace, settings: Settings) -> int:
    if args.threshold is not None:
        if not 0 < args.threshold <= 1:
            warn(text(settings, "threshold"))
            return USAGE
        settings = settings.model_copy(update={"occupancy_alert_threshold": args.threshold})
    try:
        with service.stop_on_signals(threading.Event()) as stop, Publisher(settings) as publisher:
            processor = AlertProcessor(settings, partial(publisher.publish, source="alerts"))
            say(
                text(
                    settings,
                    "start",
                    group=processor.group_id,
                    threshold=settings.occupancy_alert_threshold,
                    stale=settings.stale_after.total_seconds() / 3600,
                )
            )
            count = processor.run(stop, until_caught_up=args.until_caught_up)
    except KafkaError as error:
        warn(text(settings, "broker", error=type(error).__name__))
        return FAILED
    say(text(settings, "done", count=count))
    return DONE
