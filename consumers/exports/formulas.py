"""Text a spreadsheet would run as a formula: recognised once for every export that writes cells."""

from __future__ import annotations

from typing import Any

# OWASP's list: Excel, LibreOffice and Sheets evaluate a cell that begins with one of these.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    """Whether this value is text a spreadsheet would evaluate (numbers never are)."""
    return isinstance(value, str) and value.startswith(TRIGGERS)


def neutralized(text: str) -> str:
    """The text with a leading apostrophe when a spreadsheet would evaluate it (CSV's only way)."""
    return "'" + text if is_formula_like(text) else text
