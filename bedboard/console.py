"""How a command ends and what it says: exit codes, say/warn, words in the user's language."""

from __future__ import annotations

import sys
from typing import Any

from bedboard.settings import Settings
from bedboard.words import TEXT

DONE, FAILED, USAGE, REJECTED = 0, 1, 2, 3


def say(text: str = "") -> None:
    """What the command tells the person running it."""
    sys.stdout.write(text + "\n")


def warn(text: str) -> None:
    """What went wrong, on stderr so that a file written to stdout stays clean."""
    sys.stderr.write(text + "\n")


def text(settings: Settings, key: str, **values: Any) -> str:
    """The sentence `key` of bedboard.words in BEDBOARD_LANG, its placeholders filled."""
    ja, en = TEXT[key]
    return (ja if settings.lang == "ja" else en).format(**values)
