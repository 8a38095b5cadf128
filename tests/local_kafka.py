"""Settings that sign in to the session's secured broker the way a person's commands do."""

from __future__ import annotations

import shutil
from pathlib import Path

from bedboard.credentials import FILE_NAME
from bedboard.settings import Settings


def on_session_broker(broker: str, credentials: Path, data_dir: Path, **fields: object) -> Settings:
    """Settings on the session broker for data_dir, where a `bedboard` command run with
    BEDBOARD_DATA_DIR=data_dir finds the broker's credentials by itself, as on one machine."""
    local = data_dir / "kafka" / FILE_NAME
    if not local.exists():
        local.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(credentials, local)
    return Settings(
        bootstrap_servers=broker,
        data_dir=data_dir,
        kafka_credentials_file=local,
        **fields,  # type: ignore[arg-type]
    )
