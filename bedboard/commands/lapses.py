"""`bedboard lapses`: the placements processor, which puts lapsed requests and holds on the log."""

from __future__ import annotations

import argparse
import threading
from functools import partial

from kafka.errors import KafkaError

from bedboard import service
from bedboard.console import DONE, FAILED, say, text, warn
from bedboard.settings import Settings
from consumers.lapses import LapseProcessor
from producers.publisher import Publisher


def lapses_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--until-caught-up", action="store_true")


def lapses(args: argparse.Namespace, settings: Settings) -> int:
    try:
        with service.stop_on_signals(threading.Event()) as stop, Publisher(settings) as publisher:
            processor = LapseProcessor(settings, partial(publisher.publish, source="lapses"))
            say(
                text(
                    settings,
                    "lapses_start",
                    group=processor.group_id,
                    answer=settings.answer_within.total_seconds() / 60,
                    hold=settings.hold_for.total_seconds() / 60,
                )
            )
            count = processor.run(stop, until_caught_up=args.until_caught_up)
    except KafkaError as error:
        warn(text(settings, "broker", error=type(error).__name__))
        return FAILED
    say(text(settings, "lapses_done", count=count))
    return DONE
