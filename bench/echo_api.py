"""A server that only answers 202: what the bench's own clients and HTTP reach on this machine.

python -m bench.echo_api PORT
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def accepted(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"event_id": "-", "status": "live"}, status_code=202)


def main() -> int:
    app = Starlette(routes=[Route("/v1/capacity", accepted, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
