"""How a command ends and what it says: exit codes, say/warn, words in the user's language."""

from __future__ import annotations

import sys
import unicodedata
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


def row(cells: list[Any], widths: tuple[int, ...]) -> str:
    """Cells padded to terminal columns (a Japanese character takes two); negative: left."""
    out = []
    for cell, width in zip(cells, (*widths, 0), strict=False):
        value = str(cell)
        shown = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in value)
        pad = " " * max(abs(width) - shown, 0)
        out.append(value + pad if width < 0 else pad + value)
    return "".join(out[:-1]) + "  " + out[-1]
