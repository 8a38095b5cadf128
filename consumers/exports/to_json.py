"""JSON: the metadata, the sha256 of the canonical rows, and the rows."""

from __future__ import annotations

import json

from consumers.exports.snapshot import Snapshot

MIME = "application/json"


def render(snapshot: Snapshot) -> bytes:
    """The contract's JSON document, indented for people; the hash covers the rows only."""
    document = snapshot.metadata() | {"rows": list(snapshot.rows)}
    text = json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False)
    return (text + "\n").encode("utf-8")
