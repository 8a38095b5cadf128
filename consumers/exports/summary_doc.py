"""The meeting summary as people read it: its tables in words, one HTML page, and that page as a
PDF printed by Debian's Chromium (which draws Japanese with the system's Noto CJK fonts)."""

from __future__ import annotations

import math
import os
from datetime import datetime, timedelta
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

from consumers.exports import charts
from consumers.exports.snapshot import rfc3339
from consumers.exports.summary import PLACEMENT_KINDS, MeetingSummary
from schemas import glossary

MIME = "application/pdf"
# Headings, then rows of cells; a heading's line break puts "then", "now" or "change" under
# its measure in print (a screen's table shows it as a space).
Table = tuple[list[str], list[list[str]]]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
]
CHART_W, CHART_H = 660, 210  # px: A4 at 96 dpi less the margins is about 690 wide


def _w(key: str, lang: str) -> str:
    return glossary.word(key, lang)


def moment(at: datetime, timezone: str) -> str:
    """A time as the meeting reads it: the configured zone's wall clock, to the minute."""
    return at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def change(value: int | None) -> str:
    """A difference with its sign, so that a rise and a fall read apart at a glance."""
    return "—" if value is None else f"{value:+,}" if value else "0"


def rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def changes_table(summary: MeetingSummary, by: str, lang: str) -> Table:
    """Occupied, available and the occupancy rate then and now, per bed type or district (with
    the people waiting for admission, per district)."""
    then, now, diff = (_w(f"summary.{k}", lang) for k in ("then", "now", "change"))
    headings = [glossary.column(by, lang)]
    for name in ("occupied", "available"):
        word = glossary.column(name, lang)
        headings += [f"{word}\n{then}", f"{word}\n{now}", f"{word}\n{diff}"]
    word = glossary.column("occupancy_rate", lang)
    headings += [f"{word}\n{then}", f"{word}\n{now}"]
    waiting = by == "district"
    if waiting:
        word = _w("summary.waiting_now", lang)
        headings += [f"{word}\n{then}", f"{word}\n{now}"]
    rows = []
    for row in summary.by_bed_type if by == "bed_type" else summary.by_district:
        if by == "bed_type":
            name = glossary.bed_type(row["bed_type"], lang)
        else:
            name = row["district"] or _w("summary.no_district", lang)
        cells = [name]
        for quantity in ("occupied", "available"):
            cells += [count(row[f"{quantity}_{when}"]) for when in ("then", "now")]
            cells.append(change(row[f"{quantity}_change"]))
        cells += [rate(row["occupancy_rate_then"]), rate(row["occupancy_rate_now"])]
        if waiting:
            cells += [count(row["waiting_then"]), count(row["waiting_now"])]
        rows.append(cells)
    return headings, rows


def placements_table(summary: MeetingSummary, lang: str) -> Table:
    """How many requests were sent, answered each way and closed each way."""
    words = [
        _w("summary.requested", lang)
        if kind == "requested"
        else glossary.term("placement", kind, lang)
        for kind in PLACEMENT_KINDS
    ]
    return words, [[count(summary.placements[kind]) for kind in PLACEMENT_KINDS]]


def reasons_table(summary: MeetingSummary, lang: str) -> Table:
    """Each reason given for declining and how often, most given first."""
    headings = [_w("summary.reason", lang), _w("summary.count", lang)]
    return headings, [[row["reason"], count(row["count"])] for row in summary.reasons]


def waiting_line(summary: MeetingSummary, lang: str) -> str:
    """The waiting list then → now, e.g. "入院等調整中 5 → 11 人 (+6)"."""
    first, last = summary.waiting_then_now()
    if last is None:
        return f"{_w('summary.waiting_now', lang)}: {_w('summary.not_counted', lang)}"
    moved = "" if first is None else f" ({change(last - first)})"
    return (
        f"{_w('summary.waiting_now', lang)}: {count(first)} → {count(last)} "
        f"{_w('summary.people', lang)}{moved}"
    )


def period(summary: MeetingSummary, lang: str) -> str:
    zone = f" ({summary.timezone})"
    since = moment(summary.since, summary.timezone)
    known_at = moment(summary.known_at, summary.timezone)
    return _w("summary.period", lang).format(since=since, known_at=known_at) + zone


# --- HTML, then PDF --------------------------------------------------------------------------

STYLE = """
@page { size: A4; margin: 12mm 14mm; }
body { font-family: "Noto Sans CJK JP", "Noto Sans JP", sans-serif; font-size: 10.5pt;
       color: #1b2631; margin: 0; }
h1 { font-size: 17pt; margin: 0 0 2mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 1px solid #aab7b8; }
section { break-inside: avoid; }  /* a heading never ends a page without its table */
.period { font-size: 11.5pt; margin-bottom: 2mm; }
.waiting { font-size: 12pt; font-weight: bold; margin: 3mm 0; }
table { border-collapse: collapse; width: 100%; page-break-inside: avoid; }
th, td { border: 1px solid #d5d8dc; padding: 1.2mm 1.6mm; }
th { background: #eaf2f8; font-weight: bold; font-size: 9pt; }
td { text-align: right; font-variant-numeric: tabular-nums; }
td:first-child { text-align: left; white-space: nowrap; }
.chart { page-break-inside: avoid; margin: 1mm 0 2mm; }
.chart text { font-size: 10px; fill: #566573; }
.foot { color: #566573; font-size: 8.5pt; margin-top: 6mm; word-break: break-all; }
"""


def _table(table: Table) -> str:
    headings, rows = table
    head = "".join("<th>{}</th>".format("<br>".join(map(escape, h.split("\n")))) for h in headings)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(heading: str, body: str) -> str:
    return f"<section><h2>{escape(heading)}</h2>{body}</section>"


def html(summary: MeetingSummary, lang: str = "ja") -> str:
    """The whole summary as one printable page, its chart inline."""
    reasons = (
        _table(reasons_table(summary, lang))
        if summary.reasons
        else f"<p>{escape(_w('summary.no_reasons', lang))}</p>"
    )
    parts = [
        f"<h1>{escape(_w('summary.title', lang))}</h1>",
        f"<div class='period'>{escape(period(summary, lang))}</div>",
        _section(
            _w("summary.waiting", lang),
            f"<div class='waiting'>{escape(waiting_line(summary, lang))}</div>"
            f"<div class='chart'>{waiting_svg(summary, lang)}</div>",
        ),
        _section(_w("summary.beds", lang), _table(changes_table(summary, "bed_type", lang))),
        _section(_w("summary.districts", lang), _table(changes_table(summary, "district", lang))),
        _section(_w("summary.placements", lang), _table(placements_table(summary, lang))),
        _section(_w("summary.reasons", lang), reasons),
        f"<p class='foot'>{escape(footer(summary, lang))}</p>",
    ]
    return (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{escape(_w('summary.title', lang))}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(parts)}</body></html>"
    )


def waiting_svg(summary: MeetingSummary, lang: str) -> str:
    """The waiting list over time as a step line in SVG.

    Drawn here rather than by plotly.js: Chromium takes seconds to parse plotly.js's 4 MB
    before it prints, and a step line needs none of it (the page draws the same with plotly).
    """
    zone = ZoneInfo(summary.timezone)
    points = [(datetime.fromisoformat(p["at"]), p["waiting"]) for p in summary.waiting]
    counted = [(at, n) for at, n in points if n is not None]
    left, right, top, bottom = 44, 8, 8, 22
    width, height = CHART_W - left - right, CHART_H - top - bottom
    start, end = summary.since, summary.known_at
    most = _nice_top(max((n for _, n in counted), default=0))

    def x(at: datetime) -> float:
        return left + width * (at - start) / (end - start)

    def y(n: float) -> float:
        return top + height * (1 - n / most)

    parts = []
    for n in range(0, most + 1, max(most // 5, 1)):  # the people axis: six lines at most
        parts.append(
            f"<line x1='{left}' x2='{left + width}' y1='{y(n):.1f}' y2='{y(n):.1f}' "
            "stroke='#e5e8e8'/>"
            f"<text x='{left - 6}' y='{y(n) + 3:.1f}' text-anchor='end'>{n}</text>"
        )
    day = start.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    while (day := day + timedelta(days=1)) < end:  # the time axis: each midnight, local time
        parts.append(
            f"<line x1='{x(day):.1f}' x2='{x(day):.1f}' y1='{top}' y2='{top + height}' "
            "stroke='#e5e8e8'/>"
            f"<text x='{x(day):.1f}' y='{CHART_H - 6}' text-anchor='middle'>"
            f"{day:%m-%d}</text>"
        )
    if counted:
        path = f"M{x(counted[0][0]):.1f},{y(counted[0][1]):.1f}"
        for at, n in counted[1:]:
            path += f" H{x(at):.1f} V{y(n):.1f}"
        path += f" H{x(end):.1f}"
        base = f" V{y(0):.1f} H{x(counted[0][0]):.1f} Z"
        parts.append(
            f"<path d='{path}{base}' fill='rgba(192,57,43,0.12)' stroke='none'/>"
            f"<path d='{path}' fill='none' stroke='{charts.OCCUPIED}' stroke-width='2.5'/>"
        )
    parts.append(
        f"<line x1='{left}' x2='{left + width}' y1='{y(0):.1f}' y2='{y(0):.1f}' stroke='#839192'/>"
    )
    title = escape(_w("summary.waiting", lang))
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{CHART_W}' height='{CHART_H}' "
        f"role='img' aria-label='{title}'>{''.join(parts)}</svg>"
    )


def _nice_top(value: int) -> int:
    """The axis's top: 1, 2, 5 or 10 times a power of ten, at or above the value (5 at least)."""
    if value <= 5:
        return 5
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def footer(summary: MeetingSummary, lang: str) -> str:
    """Where the numbers come from and the content's hash, to tell two printouts apart."""
    return " · ".join(
        [
            f"{glossary.column('known_at', lang)}: {rfc3339(summary.known_at, summary.timezone)}",
            _w(f"waiting_source.{summary.waiting_source}", lang),
            f"{_w('summary.sha256', lang)}: {summary.sha256}",
        ]
    )


class PdfFailed(RuntimeError):
    """Chromium is missing, or could not print the page."""


def browser_path() -> str:
    """Where the Chromium that prints is: BROWSER_PATH, else Debian's."""
    return os.environ.get("BROWSER_PATH", charts.DEFAULT_BROWSER)


def can_print() -> bool:
    return Path(browser_path()).is_file()


def render(summary: MeetingSummary, lang: str = "ja") -> bytes:
    """The summary as an A4 PDF, printed by headless Chromium (BROWSER_PATH overrides)."""
    from playwright.sync_api import Error, sync_playwright  # started only when asked for

    if not can_print():
        raise PdfFailed(f"no Chromium at {browser_path()}: apt-get install chromium")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=browser_path(), args=CHROMIUM_FLAGS)
            try:
                page = browser.new_page()
                page.set_content(html(summary, lang), wait_until="load")
                page.evaluate("document.fonts.ready")
                return page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
            finally:
                browser.close()
    except Error as error:
        raise PdfFailed(str(error)) from error
