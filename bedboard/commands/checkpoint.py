"""`bedboard checkpoint`: write a checkpoint of a replica now (and upload it where S3 is set)."""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

from bedboard.console import DONE, FAILED, USAGE, say, text, warn
from bedboard.settings import Settings
from consumers import checkpoint
from consumers.store import ReplicaLocked, connect


def checkpoint_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path)
    p.add_argument("--to", type=Path, metavar="DIR", help="default BEDBOARD_CHECKPOINT_DIR")


def checkpoint_command(args: argparse.Namespace, settings: Settings) -> int:
    path = args.db or settings.replica_path("rollup")
    folder = args.to or settings.checkpoint_dir
    if folder is None:
        warn(text(settings, "checkpoint_where"))
        return USAGE
    if not path.exists():
        warn(text(settings, "no_replica", path=path))
        return FAILED
    try:
        con = connect(path)
    except ReplicaLocked as error:
        warn(str(error))
        return FAILED
    try:
        manifest = checkpoint.write(con, folder, settings.topic_prefix)
    except (OSError, duckdb.Error) as error:
        warn(text(settings, "checkpoint_failed", error=error))
        return FAILED
    finally:
        con.close()
    written = folder / manifest.name
    size, offsets = manifest.bytes / 1e6, len(manifest.offsets)
    say(text(settings, "checkpoint_written", path=written, size=size, offsets=offsets))
    if settings.checkpoint_s3_url:
        from consumers.checkpoint_s3 import S3Checkpoints

        S3Checkpoints(settings.checkpoint_s3_url, settings.checkpoint_s3_endpoint).upload(written)
        say(text(settings, "checkpoint_uploaded", url=settings.checkpoint_s3_url))
    return DONE
