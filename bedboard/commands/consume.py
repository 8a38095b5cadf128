"""`bedboard rollup` and `bedboard status`: the read side from the command line."""

from __future__ import annotations

import argparse
import signal
import threading
import unicodedata
from typing import Any

from kafka.errors import KafkaError

from bedboard.cli import DONE, FAILED, command, say, warn
from bedboard.settings import Settings
from consumers.rollup import DlqUnavailable, Rollup, TopicsMissing, tune_gc
from consumers.store import ReplicaLocked, Store, connect
from producers.publisher import Publisher

# What these commands tell people: (Japanese, English).
TEXT: dict[str, tuple[str, str]] = {
    "rolled_up": (
        "{read}件を読み、レプリカ {path} に反映しました",
        "rolled up {read} records into {path}",
    ),
    "broker": (
        "Kafka ブローカーに接続できません（{error}）。`bedboard broker start` で起動していますか？",
        "cannot reach the Kafka broker ({error}); is it running (`bedboard broker start`)?",
    ),
    "dlq": (
        "却下したレコードを DLQ に書けないため、そのバッチは反映していません。"
        "再実行すると続きから処理します: {error}",
        "rejected records could not be written to the DLQ, so their batch was not applied; "
        "run it again to carry on: {error}",
    ),
    "no_replica": (
        "レプリカ {path} がありません。先に `bedboard rollup` を実行してください",
        "there is no replica at {path}; run `bedboard rollup` first",
    ),
    "header": ("レプリカ {path}", "replica {path}"),
    "columns": (
        "トピック 読込 反映 重複 却下 整合",
        "topic read applied duplicates rejected reconciles",
    ),
    "yes": ("OK", "yes"),
    "no": ("不一致", "NO"),
    "reason": ("  {topic} の却下: {reason} × {count}", "  rejected on {topic}: {count} × {reason}"),
    "rejected_rows": (
        "却下テーブル: {rows}行（DLQ と同じ元レコードの位置で記録）",
        "rejected table: {rows} rows (keyed like the DLQ by the source record's position)",
    ),
    "empty": ("まだ何も読んでいません", "nothing read yet"),
}


def text(settings: Settings, key: str, **values: Any) -> str:
    ja, en = TEXT[key]
    return (ja if settings.lang == "ja" else en).format(**values)


def _row(cells: list[Any], widths: tuple[int, ...]) -> str:
    """Cells padded to terminal columns (a Japanese character takes two); negative: left."""
    out = []
    for cell, width in zip(cells, (*widths, 0), strict=False):
        value = str(cell)
        shown = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in value)
        pad = " " * max(abs(width) - shown, 0)
        out.append(value + pad if width < 0 else pad + value)
    return "".join(out[:-1]) + "  " + out[-1]


@command("rollup")
def rollup(args: argparse.Namespace, settings: Settings) -> int:
    path = args.db or settings.replica_path("rollup")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        con = connect(path)
    except ReplicaLocked as error:
        warn(str(error))
        return FAILED
    try:
        with Publisher(settings) as publisher:
            job = Rollup(settings, Store(con), publisher.send_dlq, publisher.flush)
            tune_gc()
            read = job.run(stop, until_caught_up=args.until_caught_up)
    except TopicsMissing as error:
        warn(str(error))
        return FAILED
    except DlqUnavailable as error:
        warn(text(settings, "dlq", error=error))
        return FAILED
    except KafkaError as error:
        warn(text(settings, "broker", error=type(error).__name__))
        return FAILED
    finally:
        con.close()
    say(text(settings, "rolled_up", read=read, path=path))
    return DONE


@command("status")
def status(args: argparse.Namespace, settings: Settings) -> int:
    """The ingest counts of a replica: every record read is applied, a duplicate or rejected."""
    path = args.db or settings.replica_path("rollup")
    if not path.exists():
        warn(text(settings, "no_replica", path=path))
        return FAILED
    try:
        con = connect(path, read_only=True)
    except ReplicaLocked as error:
        warn(str(error))
        return FAILED
    try:
        rows = con.execute(
            "SELECT topic, read, applied, duplicates, rejected FROM ingest_counts ORDER BY topic"
        ).fetchall()
        reasons = con.execute(
            "SELECT topic, reason, count(*) FROM rejected GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        (rejected_rows,) = con.execute("SELECT count(*) FROM rejected").fetchall()[0]
    finally:
        con.close()
    say(text(settings, "header", path=path))
    if not rows:
        say(text(settings, "empty"))
        return DONE
    widths = (-12, 10, 10, 12, 10)
    say(_row(text(settings, "columns").split(), widths))
    for topic, read, applied, dups, rejected in rows:
        ok = text(settings, "yes" if read == applied + dups + rejected else "no")
        say(_row([topic, read, applied, dups, rejected, ok], widths))
    for topic, reason, count in reasons:
        say(text(settings, "reason", topic=topic, reason=reason, count=count))
    say(text(settings, "rejected_rows", rows=rejected_rows))
    balanced = all(r[1] == r[2] + r[3] + r[4] for r in rows)
    return DONE if balanced and rejected_rows == sum(r[4] for r in rows) else FAILED
