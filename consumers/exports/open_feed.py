"""The public open-data feed over HTTP: no sign-in, the day's files and their dictionary."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import duckdb

from bedboard.settings import Settings
from consumers.exports import opendata
from consumers.exports.snapshot import daily_as_of, now

log = logging.getLogger(__name__)
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
PREFIX = "/open"
HTML = "text/html; charset=utf-8"
MAX_AGE_S = 60.0


class NotFound(LookupError):
    """No such file in the feed (a per-facility file the city does not publish is not there)."""


class BadDay(ValueError):
    """?date= is not a YYYY-MM-DD day, or is still to come."""


def latest_day(settings: Settings, moment: datetime) -> date:
    """The newest day whose cutoff has passed: the feed's default."""
    today = moment.astimezone(settings.zone).date()
    passed = daily_as_of(today, settings.snapshot_cutoff, settings.timezone) <= moment
    return today if passed else today - timedelta(days=1)


def day_of(text: str | None, settings: Settings, moment: datetime) -> date:
    if text is None:
        return latest_day(settings, moment)
    try:
        if not DAY.fullmatch(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise BadDay(text) from None
    if daily_as_of(day, settings.snapshot_cutoff, settings.timezone) > moment:
        raise BadDay(text)
    return day


class Feed:
    """The feed's files by name; a day's files are made once a minute at most, for everyone."""

    def __init__(
        self,
        cursor: Callable[[], duckdb.DuckDBPyConnection],
        settings: Settings,
        *,
        fresh_s: float = MAX_AGE_S,
    ) -> None:
        self.cursor, self.settings, self.fresh_s = cursor, settings, fresh_s
        self._made: dict[date, tuple[float, datetime, list[opendata.OpenFile]]] = {}
        self._lock = threading.Lock()  # one making at a time: a country's files take a second

    def fetch(self, name: str, day_text: str | None = None) -> tuple[bytes, str, dict[str, str]]:
        """(body, media type, headers) of one file, as of the day's cutoff, known at most a
        minute ago."""
        settings = self.settings
        if name in ("", "index.html", "dictionary.html"):
            page = opendata.dictionary_html(settings, "ja").encode("utf-8")
            return page, HTML, {}
        if name == "dictionary.en.html":
            return opendata.dictionary_html(settings, "en").encode("utf-8"), HTML, {}
        dataset, _, suffix = name.rpartition(".")
        if dataset not in opendata.datasets(settings) or suffix not in ("csv", "json"):
            raise NotFound(name)
        day = day_of(day_text, settings, now())
        known_at, made = self._files(day)
        found = next(f for f in made if f.name == name)
        headers = {
            # What a cache or a harvester needs: when the data stands, and what it hashes to.
            "X-Bedboard-As-Of": found.as_of.isoformat(),
            "X-Bedboard-Known-At": known_at.astimezone(UTC).isoformat(),
            "ETag": f'"{found.sha256}"',
            "Cache-Control": f"public, max-age={int(self.fresh_s)}",
            "Content-Disposition": f'inline; filename="{day.isoformat()}-{name}"',
        }
        return found.data, found.media_type, headers

    def _files(self, day: date) -> tuple[datetime, list[opendata.OpenFile]]:
        with self._lock:
            kept = self._made.get(day)
            if kept is not None and time.monotonic() - kept[0] < self.fresh_s:
                return kept[1], kept[2]
            known_at = now()
            as_of = daily_as_of(day, self.settings.snapshot_cutoff, self.settings.timezone)
            with self.cursor() as cur:
                made = opendata.files(cur, self.settings, as_of=as_of, known_at=known_at)
            self._made = {day: (time.monotonic(), known_at, made)}  # the newest day asked only
            return known_at, made


class _Handler(BaseHTTPRequestHandler):
    """GET /open/<file>[?date=YYYY-MM-DD]: public, read-only, no sign-in, nothing else."""

    feed: Feed
    server_version = "bedboard-open-data"

    def do_GET(self) -> None:  # noqa: N802  (the name http.server calls)
        url = urlsplit(self.path)
        if url.path != PREFIX and not url.path.startswith(PREFIX + "/"):
            return self._json(404, {"error": "not_found", "path": url.path})
        name = url.path.removeprefix(PREFIX).strip("/")
        day = parse_qs(url.query).get("date", [None])[0]
        try:
            body, media, headers = self.feed.fetch(name, day)
        except NotFound:
            return self._json(404, {"error": "not_found", "file": name})
        except BadDay:
            detail = "date: must be a past day as YYYY-MM-DD"
            return self._json(422, {"error": "bad_date", "detail": detail})
        self._send(200, body, media, headers)
        return None

    def _json(self, status: int, body: dict[str, str]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json", {})

    def _send(self, status: int, body: bytes, media: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")  # open data: any site may fetch it
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        log.info("open data: " + format, *args)


def server(feed: Feed, host: str, port: int) -> ThreadingHTTPServer:
    """The feed's own small HTTP service, for a city that runs it apart from the API."""
    handler = type("OpenFeed", (_Handler,), {"feed": feed})
    return ThreadingHTTPServer((host, port), handler)
