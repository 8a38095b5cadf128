"""Checkpoints: a consistent copy of a replica with its offsets, so a new replica starts in seconds.

A checkpoint is a folder `<folder>/<UTC time>/` holding `replica.duckdb` and `manifest.json`
(sha256 of the file, the schema version, the topic prefix, the offsets). The folder appears
under its final name only once complete, so a reader never takes a half-written one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from consumers.schema import SCHEMA

log = logging.getLogger(__name__)
REPLICA = "replica.duckdb"
MANIFEST = "manifest.json"
KEEP = 3  # checkpoints kept in a folder; older ones are removed after a new one is written
# The replica's tables as this version creates them: a checkpoint of other tables is not used.
SCHEMA_VERSION = hashlib.sha256(SCHEMA.encode()).hexdigest()[:16]


class CheckpointInvalid(ValueError):
    """A checkpoint that must not be used: incomplete, corrupt, or of another schema or prefix."""


@dataclass(frozen=True)
class Manifest:
    """What a checkpoint holds, to verify it before a replica starts from it."""

    name: str
    created_at: str
    sha256: str
    bytes: int
    schema_version: str
    topic_prefix: str
    offsets: dict[str, int]  # "topic:partition" -> next offset to read

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError) as error:
            raise CheckpointInvalid(f"{path}: unreadable manifest ({error})") from error


def write(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    topic_prefix: str,
    lock: AbstractContextManager[object] | None = None,
) -> Manifest:
    """Copy the replica's file into a new checkpoint in `folder`, holding `lock` meanwhile.

    `lock` is the store's (Store.lock): no batch commits, and so no automatic checkpoint
    rewrites the file, while it is copied. The file alone holds a state committed whole (its
    offsets with its rows); CHECKPOINT first moves the newest commits into it. Measured on a
    replica of 1M reports: 0.24 s, against 15 s for COPY FROM DATABASE into an attached file.
    """
    name = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    partial = folder / f".{name}.partial"
    partial.mkdir(parents=True)
    try:
        cur = con.cursor()
        try:
            ((source,),) = cur.execute(
                "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
            ).fetchall()
            with lock or nullcontext():
                cur.execute("CHECKPOINT")
                shutil.copyfile(source, partial / REPLICA)
        finally:
            cur.close()
        file = partial / REPLICA
        manifest = Manifest(
            name=name,
            created_at=datetime.now(UTC).isoformat(),
            sha256=_sha256(file),
            bytes=file.stat().st_size,
            schema_version=SCHEMA_VERSION,
            topic_prefix=topic_prefix,
            offsets=_offsets(file),
        )
        (partial / MANIFEST).write_text(json.dumps(asdict(manifest), indent=1))
        partial.rename(folder / name)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    for old in checkpoints(folder)[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
    return manifest


def _offsets(file: Path) -> dict[str, int]:
    """The offsets a replica file holds, as a manifest lists them."""
    con = duckdb.connect(str(file), read_only=True)
    try:
        rows = con.execute("SELECT topic, partition, next_offset FROM offsets").fetchall()
    finally:
        con.close()
    return {f"{t}:{p}": o for t, p, o in sorted(rows)}


def checkpoints(folder: Path) -> list[Path]:
    """The complete checkpoints in a folder, newest first."""
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return sorted(found, key=lambda p: p.name, reverse=True)


def verify(checkpoint: Path, topic_prefix: str) -> Manifest:
    """The checkpoint's manifest once its file, schema version, prefix and offsets agree."""
    manifest = Manifest.read(checkpoint / MANIFEST)
    file = checkpoint / REPLICA
    if manifest.schema_version != SCHEMA_VERSION:
        raise CheckpointInvalid(
            f"{checkpoint}: schema {manifest.schema_version}, this version has {SCHEMA_VERSION}"
        )
    if manifest.topic_prefix != topic_prefix:
        raise CheckpointInvalid(
            f"{checkpoint}: topics {manifest.topic_prefix}*, this replica reads {topic_prefix}*"
        )
    if not file.is_file() or _sha256(file) != manifest.sha256:
        raise CheckpointInvalid(f"{checkpoint}: {REPLICA} is missing or its sha256 differs")
    try:
        offsets = _offsets(file)
    except duckdb.Error as error:
        raise CheckpointInvalid(f"{checkpoint}: not a replica ({error})") from error
    if offsets != manifest.offsets:
        raise CheckpointInvalid(f"{checkpoint}: the file's offsets differ from the manifest's")
    return manifest


def restore(folder: Path, path: Path, topic_prefix: str) -> Manifest | None:
    """Copy the newest valid checkpoint of `folder` to `path`; None when there is none."""
    for checkpoint in checkpoints(folder):
        try:
            manifest = verify(checkpoint, topic_prefix)
        except CheckpointInvalid as error:
            log.warning("checkpoint not used: %s", error)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        landing = path.with_name(f".{path.name}.restoring")
        shutil.copyfile(checkpoint / REPLICA, landing)
        landing.rename(path)  # whole or not at all: a crash leaves no half replica behind
        log.info("replica %s starts from checkpoint %s", path, checkpoint)
        return manifest
    return None


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class Checkpointer:
    """Writes a checkpoint of a live replica every `every`, on its own thread."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        folder: Path,
        topic_prefix: str,
        every: timedelta,
        lock: AbstractContextManager[object] | None = None,
        then: Callable[[Path], None] | None = None,
    ) -> None:
        self._con, self._folder, self._prefix, self._lock = con, folder, topic_prefix, lock
        self._every, self._then = every.total_seconds(), then
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bedboard-checkpoint", daemon=True)

    def start(self) -> Checkpointer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                manifest = write(self._con, self._folder, self._prefix, self._lock)
                if self._then:
                    self._then(self._folder / manifest.name)
            except (OSError, duckdb.Error, RuntimeError) as error:  # the next one may work
                log.warning("checkpoint failed: %s", error)
