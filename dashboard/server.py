"""The dashboard's server: Streamlit's app plus the one endpoint that sets the session cookie.

Streamlit pages cannot set cookies (their script runs over a websocket), and a cookie a page's
JavaScript writes is readable by page scripts. So a sign-in hands the browser a one-time code,
and this endpoint trades it for the session id in an HttpOnly, SameSite=Strict cookie.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bedboard.settings import Settings  # noqa: E402
from dashboard.sessions import COOKIE, HANDOFFS  # noqa: E402

SESSION_PATH = "/bedboard/session"


async def session_cookie(request: Request) -> Response:
    """POST a code: set the cookie of its session; DELETE: clear the cookie (signed out)."""
    if not _same_origin(request):
        return Response("cross-origin", status_code=403)
    response = Response(status_code=204)
    if request.method == "DELETE":
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response
    session_id = HANDOFFS.redeem((await request.body()).decode(errors="replace").strip())
    if session_id is None:
        return Response("unknown or used code", status_code=400)
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=int(Settings().session_ttl.total_seconds()),
        path="/",
        httponly=True,  # page scripts never read it
        samesite="strict",  # never sent with another site's requests
        secure=_https(request),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _same_origin(request: Request) -> bool:
    # Browsers send Origin with every POST/DELETE fetch; another site's page may not sign in here.
    origin = request.headers.get("origin")
    return origin is None or origin.split("://", 1)[-1] == request.headers.get("host")


def _https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"


app = st.App(
    str(Path(__file__).resolve().parent / "app.py"),
    routes=[Route(SESSION_PATH, session_cookie, methods=["POST", "DELETE"])],
)
