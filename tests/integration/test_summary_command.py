"""`bedboard summary` through the real broker: a PDF with the week's numbers, the same later."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from pypdf import PdfReader
from test_snapshot import bedboard, publish

from bedboard.settings import Settings
from tests.meeting_week import SINCE, city_week, late_news


def pdf_text(path: Path) -> str:
    """Every page's text, read back from the PDF as a reader's program would.

    NFKC: the font maps some kanji to their look-alike Kangxi radicals (用 as ⽤) on the way out.
    """
    pages = PdfReader(io.BytesIO(path.read_bytes())).pages
    return unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in pages))


def test_the_summary_command_prints_the_weeks_numbers_and_reprints_them_alike(
    settings: Settings, tmp_path: Path
) -> None:
    known_at = publish(settings, city_week()).isoformat()
    asked = ("summary", "--since", SINCE.isoformat(), "--known-at", known_at, "--lang", "ja")

    said = bedboard(settings, *asked, "-o", str(tmp_path / "a.pdf")).stdout
    first = pdf_text(tmp_path / "a.pdf")
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF-")
    sha = re.search(r"sha256 ([0-9a-f]{64})", said)
    assert sha and sha.group(1) in first.replace("\n", "")
    assert "会議用サマリー" in first and "2026-11-27 09:00 →" in first
    assert "入院等調整中: 5 → 11 人 (+6)" in first  # the district counts, then and now
    assert "成人ICU 14 13 -1 4 5 +1 77.8% 72.2%" in first
    assert "中央地区 36 39 +3 14 11 -3 72.0% 78.0% 5 8" in first
    assert "南地区 8 4 -4 0 4 +4 100.0% 50.0% — 3" in first
    assert "4 1 3 2 0 0" in first  # requested, accepted, declined, admitted, cancelled, expired
    assert "満床 2" in first and "人工呼吸器なし 1" in first

    while datetime.now(UTC) <= datetime.fromisoformat(known_at):  # the broker stamps it later
        pass
    publish(settings, late_news())
    said_again = bedboard(settings, *asked, "-o", str(tmp_path / "b.pdf")).stdout
    assert pdf_text(tmp_path / "b.pdf") == first
    assert said_again.splitlines()[-1] == said.splitlines()[-1]  # the same sha256

    # Known now, the late news is in: a count and a report that came in after the first print.
    bedboard(settings, *asked[:3], "--lang", "en", "-o", str(tmp_path / "c.pdf"))
    later = pdf_text(tmp_path / "c.pdf")
    assert "Meeting summary" in later and "Waiting for admission: 5 → 38 people (+33)" in later
