"""The bench's own real broker, fresh topics per measure, and the environment for subprocesses."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bedboard import broker
from bedboard.admin import create_topics
from bedboard.settings import Settings
from bench.core import ROOT, Sizes

log = logging.getLogger("bench")
JARS = ROOT / ".bedboard" / "jars"


@contextmanager
def local_broker(work: Path) -> Iterator[str]:
    """A broker of its own on free ports for one bench invocation, stopped at the end."""
    data_dir = work / "kafka"
    port = broker.free_port_pair()
    bootstrap = broker.start(port=port, data_dir=data_dir, jars_dir=broker.fetch_jars(JARS))
    try:
        yield bootstrap
    finally:
        broker.stop(data_dir)


@dataclass
class Context:
    """What a measure gets: the broker, a work folder, the sizes, and artefacts to share."""

    bootstrap: str
    work: Path
    sizes: Sizes
    quick: bool
    credentials: Path | None = None  # the broker's (default: where `local_broker` keeps them)
    shared: dict[str, Any] = field(default_factory=dict)

    def settings(self, name: str) -> Settings:
        """Settings with a fresh topic prefix (topics created) and a data dir of their own."""
        data_dir = self.work / name
        data_dir.mkdir(parents=True, exist_ok=True)
        made = Settings(
            bootstrap_servers=self.bootstrap,
            topic_prefix=f"bench{uuid.uuid4().hex[:8]}.{name}.",
            data_dir=data_dir,
            db=None,
            kafka_credentials_file=self.credentials or broker.credentials_file(self.work / "kafka"),
        )
        create_topics(made)
        return made

    def once(self, key: str, build: Callable[[], Any]) -> Any:
        """Build an artefact (a topic, a replica) once per invocation and share it."""
        if key not in self.shared:
            self.shared[key] = build()
        return self.shared[key]


def child_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that points a `bedboard` subprocess at these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEDBOARD_")}
    env |= {
        "BEDBOARD_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BEDBOARD_TOPIC_PREFIX": settings.topic_prefix,
        "BEDBOARD_DATA_DIR": str(settings.data_dir),
        "BEDBOARD_KAFKA_CREDENTIALS_FILE": str(settings.credentials_path),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    return env | extra


def settings_from_env() -> Settings:
    """In a worker subprocess: the settings its parent passed through the environment."""
    return Settings()
