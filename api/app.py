"""The HTTP API: routes that authenticate, check and hand submissions to the publisher."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from api import guard, reads
from api.errors import ApiError, body, language
from api.submit import Answers, Submitter
from bedboard.settings import Settings
from consumers.exports import open_feed
from consumers.replica import LiveReplica
from producers import forms, upload
from producers.drafts import Draft, NotYourFacility, capacity_events
from producers.from_fhir import read_measure_reports
from producers.from_have import read_have
from producers.publisher import Publisher
from producers.tokens import Token, TokenStore
from schemas.events import CapacityReported
from schemas.problems import Problem

JSON = ("application/json",)
CSV = ("text/csv", "application/csv")
FHIR = ("application/fhir+json", "application/json")
XML = ("application/xml", "text/xml")
REPLICA_SETTLE_S = 0.25

DESCRIPTION = """
The one door for hospital systems and other machines. Every request carries
`Authorization: Bearer <token>` (from `bedboard tokens add`). A submit token is bound to its
facilities, and the actor of every event it sends is the token's name: an `actor` in a body is
ignored. Submissions answer `202` with `status` `live` (acknowledged by Kafka) or `queued`
(kept in the local outbox and sent when the broker is back, exactly once). Errors are JSON
naming the field and the rule, in Japanese or English by `Accept-Language`.
"""


class Door:
    """What the routes share: settings, tokens, limits, the submitter and the replica."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tokens = TokenStore(settings.tokens_path)
        self.limit = guard.RateLimit(settings.api_rate, settings.api_burst)
        self.publisher = Publisher(settings).drain_in_background()
        answers = Answers(settings.data_dir / "api-answers.sqlite")
        self.submitter = Submitter(self.publisher, answers)
        # Rejected records found by the roll-up go to the DLQ through a publisher of their own,
        # so that they never wait behind a submission (nor it behind them).
        self._dlq = Publisher(settings)
        self.replica = LiveReplica(
            settings,
            settings.replica_path("api"),
            dlq_send=self._dlq.send_dlq,
            dlq_flush=self._dlq.flush,
            # Systems that read poll; a quarter second more lag halves the replica's share of
            # each submission's cost (it commits a batch per few events otherwise).
            settle_s=REPLICA_SETTLE_S,
        ).start()

    def close(self) -> None:
        self.submitter.close()
        self.replica.stop()
        self.publisher.close()
        self._dlq.close()
        self.submitter.answers.close()

    async def sender(self, request: Request, allowed: Sequence[str]) -> tuple[Token, bytes]:
        token = guard.authenticate(request, self.tokens, submit=True)
        guard.throttle(self.limit, token)
        guard.content_type(request, allowed)
        return token, await guard.body(request)

    def reader(self, request: Request) -> Token:
        token = guard.authenticate(request, self.tokens, submit=False)
        guard.throttle(self.limit, token)
        return token

    async def send(self, drafts: Sequence[Draft], token: Token) -> list[dict[str, Any]]:
        """Check the drafts as the token's; publish them whole, or refuse (403, else 422)."""
        try:
            events = capacity_events(drafts, token.identity, now=_now())
        except NotYourFacility as refused:
            raise ApiError(403, refused.problems) from None
        except forms.Refused as refused:
            raise ApiError(422, refused.problems) from None
        return await self.publish(events)

    async def publish(self, events: Sequence[CapacityReported]) -> list[dict[str, Any]]:
        statuses = await self.submitter.submit(events)
        return [
            {"event_id": str(e.event_id), "facility_id": e.facility_id, "status": status}
            for e, status in zip(events, statuses, strict=True)
        ]


def _now() -> datetime:
    return datetime.now(UTC)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(422, [Problem("", "invalid_json")]) from None


def _many(sent: list[dict[str, Any]]) -> JSONResponse:
    status = "queued" if any(e["status"] == "queued" for e in sent) else "live"
    return JSONResponse({"status": status, "events": sent}, status_code=202)


def _body_schema(media: Sequence[str], schema: dict[str, Any]) -> dict[str, Any]:
    content = {m: {"schema": schema} for m in media}
    return {"requestBody": {"required": True, "content": content}}


def _submission_schema() -> dict[str, Any]:
    schema = CapacityReported.model_json_schema(ref_template="#/components/schemas/{model}")
    schema["properties"].pop("actor", None)
    schema["required"] = [name for name in schema["required"] if name != "actor"]
    schema.pop("$defs", None)
    return schema


def create_app(settings: Settings) -> FastAPI:
    """The API for these settings; its replica and publisher live as long as the server."""
    door: Door | None = None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        nonlocal door
        door = Door(settings)
        try:
            yield
        finally:
            door.close()

    def the_door() -> Door:
        assert door is not None, "the API is used outside its lifespan"
        return door

    app = FastAPI(
        title="Bedboard API",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        # No OpenTelemetry here: its per-request context work was a tenth of each request's time.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )

    @app.exception_handler(ApiError)
    async def refused(request: Request, error: ApiError) -> JSONResponse:
        lang = language(request.headers.get("accept-language"), settings.lang)
        return JSONResponse(
            body(error.problems, lang), status_code=error.status, headers=error.headers
        )

    @app.post(
        "/v1/capacity",
        status_code=202,
        summary="One capacity.reported event (without actor)",
        openapi_extra=_body_schema(JSON, _submission_schema()),
    )
    async def capacity(request: Request) -> JSONResponse:
        token, raw = await the_door().sender(request, JSON)
        data = _json(raw)
        if not isinstance(data, dict):
            raise ApiError(422, [Problem("", "invalid_json")])
        data.pop("actor", None)  # the actor is the token's, whatever the body says
        (sent,) = await the_door().send([Draft(data)], token)
        return JSONResponse({"event_id": sent["event_id"], "status": sent["status"]}, 202)

    @app.post(
        "/v1/capacity.csv",
        status_code=202,
        summary="The dashboard's capacity CSV (UTF-8, UTF-8 with BOM or Shift_JIS), all or nothing",
        openapi_extra=_body_schema(CSV, {"type": "string"}),
    )
    async def capacity_csv(request: Request) -> JSONResponse:
        token, raw = await the_door().sender(request, CSV)
        max_age = the_door().settings.csv_max_age
        events, problems = upload.read_capacity_csv(
            raw, token.identity, now=_now(), max_age=max_age
        )
        if problems:
            found = [Problem(p.column, p.rule, (*p.context, ("row", p.row))) for p in problems]
            foreign = any(p.rule == "not_your_facility" for p in problems)
            raise ApiError(403 if foreign else 422, found)
        return _many(await the_door().publish(events))

    @app.post(
        "/fhir/MeasureReport",
        status_code=202,
        summary="A SANER-style bed MeasureReport, or a Bundle of them (FHIR R4)",
        openapi_extra=_body_schema(FHIR, {"type": "object"}),
    )
    async def measure_report(request: Request) -> JSONResponse:
        token, raw = await the_door().sender(request, FHIR)
        try:
            drafts, problems = read_measure_reports(_json(raw))
        except (AttributeError, TypeError):  # a structure no FHIR resource has
            drafts, problems = [], [Problem("resourceType", "not_a_report")]
        if problems:
            raise ApiError(422, problems)
        return _many(await the_door().send(drafts, token))

    @app.post(
        "/v1/have",
        status_code=202,
        summary="An EDXL-HAVE HospitalStatus document",
        openapi_extra=_body_schema(XML, {"type": "string"}),
    )
    async def have(request: Request) -> JSONResponse:
        token, raw = await the_door().sender(request, XML)
        drafts, problems = read_have(raw)
        if problems:
            raise ApiError(422, problems)
        return _many(await the_door().send(drafts, token))

    @app.get("/v1/board", summary="Every facility's current bed lines")
    def board(request: Request) -> dict[str, Any]:
        the_door().reader(request)
        return reads.board(the_door().replica, settings)

    @app.get("/v1/facilities/{facility_id}", summary="One facility: registry entry and lines")
    def facility(request: Request, facility_id: str) -> dict[str, Any]:
        the_door().reader(request)
        return reads.facility(the_door().replica, settings, facility_id)

    @app.get("/v1/snapshot", summary="The daily snapshot (formats as `bedboard snapshot`)")
    def snapshot(
        request: Request, date: str | None = None, cutoff: str | None = None, format: str = "json"
    ) -> Response:
        the_door().reader(request)
        data, mime, name = reads.snapshot_of(the_door().replica, settings, date, cutoff, format)
        disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(data, media_type=mime, headers=disposition)

    @app.get("/v1/health", summary="For load balancers: the process serves; feed and outbox")
    def health() -> dict[str, Any]:
        live = the_door().replica.health
        return {
            "status": "ok",
            "broker_connected": live.connected,
            "replica_lag": live.lag,
            "outbox_waiting": the_door().publisher.queued,
        }

    open_data: list[open_feed.Feed] = []  # made on first use: the replica lives in the lifespan

    @app.get("/open/{name}", summary="Open data, no token: the day's files and data dictionary")
    def open_file(name: str, date: str | None = None) -> Response:
        if not open_data:
            open_data.append(open_feed.Feed(the_door().replica.cursor, settings))
        try:
            body, media, headers = open_data[0].fetch(name, date)
        except open_feed.NotFound:
            return JSONResponse({"error": "not_found", "file": name}, status_code=404)
        except open_feed.BadDay:
            detail = "date: must be a past day as YYYY-MM-DD"
            return JSONResponse({"error": "bad_date", "detail": detail}, status_code=422)
        return Response(body, media_type=media, headers=headers)

    return app
