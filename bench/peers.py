"""The quixstreams peer: the same roll-up written with quixstreams' sink API, as its own process.

python -m bench.peers --limit N --db FILE   # prints {"read": N, "seconds": S}

Each record is checked with `schemas.records.check` (what a quixstreams roll-up would do: one
message at a time through the pipeline) and each sink batch is written with `Store.write`, rows
and offsets in one transaction, like the roll-up.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import uuid
from pathlib import Path

from quixstreams import Application
from quixstreams.kafka.configuration import ConnectionConfig
from quixstreams.sinks import BatchingSink, SinkBatch

from bench.env import settings_from_env
from consumers.rules import Accepted, ms_to_utc
from consumers.schema import connect
from consumers.store import Batch, Store
from schemas.records import Rejection, check


class ReplicaSink(BatchingSink):
    """Writes each batch quixstreams hands over into the replica, with its next offset."""

    def __init__(self, store: Store, prefix: str) -> None:
        super().__init__()
        self.store, self.prefix = store, prefix

    def write(self, batch: SinkBatch) -> None:
        short = batch.topic.removeprefix(self.prefix)
        accepted: list[Accepted] = []
        rejected = 0
        last = 0
        for item in batch:
            ingested = ms_to_utc(item.timestamp)
            outcome = check(item.value, ingested)
            if isinstance(outcome, Rejection):
                rejected += 1  # the bench topic has none; counted so that none go unnoticed
            else:
                accepted.append(Accepted(outcome, ingested, batch.partition, item.offset))
            last = item.offset
        if rejected:
            raise SystemExit(f"{rejected} records of the bench topic were refused")
        self.store.write(
            Batch(
                accepted={short: accepted},
                read={short: batch.size},
                next_offsets={(batch.topic, batch.partition): last + 1},
            )
        )


def run(limit: int, db: str) -> int:
    settings = settings_from_env()
    con = connect(db)
    kafka = settings.kafka_options()
    app = Application(
        broker_address=ConnectionConfig(
            bootstrap_servers=settings.bootstrap_servers,
            security_protocol=str(kafka.get("security_protocol", "PLAINTEXT")).lower(),
            sasl_mechanism=kafka.get("sasl_mechanism"),  # type: ignore[arg-type]
            sasl_username=kafka.get("sasl_plain_username"),  # type: ignore[arg-type]
            sasl_password=kafka.get("sasl_plain_password"),  # type: ignore[arg-type]
        ),
        consumer_group=f"bench-quix-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        commit_every=settings.rollup_batch,  # a sink batch as big as the roll-up's
        loglevel="WARNING",
        use_changelog_topics=False,
        auto_create_topics=False,
        # Beside the replica, not quixstreams' default ./state in whatever folder it runs from.
        state_dir=str(Path(db).parent / "quix-state"),
    )
    topic = app.topic(
        settings.topic("capacity"), value_deserializer="bytes", key_deserializer="bytes"
    )
    sdf = app.dataframe(topic)
    sdf.sink(ReplicaSink(Store(con), settings.topic_prefix))
    try:
        app.run(count=limit, collect=False)
        (read,) = con.execute("SELECT coalesce(sum(read), 0) FROM ingest_counts").fetchone() or (0,)
    finally:
        con.close()
    return int(read)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.peers")
    p.add_argument("--limit", type=int, required=True)
    p.add_argument("--db", default=":memory:")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    start = time.perf_counter()  # like the other baselines: without interpreter start-up
    read = run(args.limit, args.db)
    seconds = time.perf_counter() - start
    sys.stdout.write(json.dumps({"read": read, "seconds": seconds}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
