"""Checkpoints in S3-compatible storage: uploaded after they are written, fetched for new replicas.

Objects are `<prefix>/<checkpoint name>/replica.duckdb` and `.../manifest.json`; the manifest
goes up last, so a listing of manifests lists complete checkpoints only.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from consumers.checkpoint import MANIFEST, REPLICA, Manifest, restore

log = logging.getLogger(__name__)


class S3Checkpoints:
    """A bucket and prefix (`s3://bucket/prefix`) holding checkpoints; endpoint for non-AWS."""

    def __init__(self, url: str, endpoint: str | None = None) -> None:
        import boto3  # only where S3 is configured

        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError(f"BEDBOARD_CHECKPOINT_S3_URL must look like s3://bucket/prefix: {url}")
        self.bucket, self.prefix = parsed.netloc, parsed.path.strip("/")
        self.client: Any = boto3.client("s3", endpoint_url=endpoint)

    def _key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    def upload(self, checkpoint: Path) -> None:
        """Upload a complete checkpoint folder, the manifest last."""
        for part in (REPLICA, MANIFEST):
            key = self._key(checkpoint.name, part)
            self.client.upload_file(str(checkpoint / part), self.bucket, key)

    def names(self) -> list[str]:
        """Names of the complete checkpoints (those with a manifest), newest first."""
        found = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key("")
        )
        for page in pages:
            for item in page.get("Contents", []):
                *_, name, leaf = item["Key"].split("/")
                if leaf == MANIFEST:
                    found.append(name)
        return sorted(found, reverse=True)

    def restore(self, path: Path, topic_prefix: str) -> Manifest | None:
        """Fetch the newest checkpoint that verifies into `path`; None when there is none."""
        path.parent.mkdir(parents=True, exist_ok=True)
        for name in self.names():
            with tempfile.TemporaryDirectory(dir=path.parent, prefix=".s3-checkpoint-") as tmp:
                (Path(tmp) / name).mkdir()
                for part in (MANIFEST, REPLICA):
                    target = str(Path(tmp) / name / part)
                    self.client.download_file(self.bucket, self._key(name, part), target)
                manifest = restore(Path(tmp), path, topic_prefix)  # verifies, or says why not
            if manifest is not None:
                return manifest
        return None
