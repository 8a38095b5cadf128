"""`bedboard alerts`: the alert processor, one member of a consumer group on the capacity stream."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

from kafka.errors import KafkaError

from bedboard.cli import DONE, FAILED, USAGE, command, say, warn
from bedboard.settings import Settings
from consumers.alerts import AlertProcessor
from producers.publisher import Publisher

# What this command tells people: (Japanese, English).
TEXT: dict[str, tuple[str, str]] = {
    "start": (
        "アラート処理を開始します（グループ {group}、占床率 {threshold:.0%} 以上、"
        "{stale:g}時間報告がなければ未更新）。Ctrl-C で停止します。",
        "deriving alerts (group {group}; occupancy at or over {threshold:.0%}; stale after "
        "{stale:g} h without a report); Ctrl-C stops it.",
    ),
    "done": ("アラートの変化 {count}件を送信しました", "published {count} alert change(s)"),
    "threshold": (
        "--threshold は 0 より大きく 1 以下にしてください（例: 0.95）",
        "--threshold must be above 0 and at most 1 (e.g. 0.95)",
    ),
    "broker": (
        "Kafka ブローカーに接続できません（{error}）。`bedboard broker start` で起動していますか？",
        "cannot reach the Kafka broker ({error}); is it running (`bedboard broker start`)?",
    ),
}


def text(settings: Settings, key: str, **values: Any) -> str:
    ja, en = TEXT[key]
    return (ja if settings.lang == "ja" else en).format(**values)


@command("alerts")
def alerts(args: argparse.Namespace, settings: Settings) -> int:
    if args.threshold is not None:
        if not 0 < args.threshold <= 1:
            warn(text(settings, "threshold"))
            return USAGE
        settings = settings.model_copy(update={"occupancy_alert_threshold": args.threshold})
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with Publisher(settings) as publisher:
            processor = AlertProcessor(settings, publisher.publish)
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
