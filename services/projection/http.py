"""The reporting HTTP API: read models as JSON. A small ASGI app served by uvicorn.

Routes come from the read-model modules (`ROUTES`); each takes the pool, the schema and the
query parameters, validates them with a pydantic model and returns JSON-ready data.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

import asyncpg
from pydantic import ValidationError

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Route = Callable[[asyncpg.Pool, str, dict[str, str]], Awaitable[Any]]


class ReportingApp:
    def __init__(
        self,
        pool: asyncpg.Pool,
        schema: str,
        routes: Mapping[str, Route],
        health: Callable[[], Awaitable[Any]],
    ) -> None:
        self.pool = pool
        self.schema = schema
        self.routes = dict(routes)
        self.health = health

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        path = scope["path"]
        route = self.routes.get(path)
        if scope["method"] != "GET" or (route is None and path != "/health"):
            await _respond(send, 404, {"error": "not_found", "message": f"no route {path}"})
            return
        query = parse_qs(scope.get("query_string", b"").decode())
        params = {k: v[-1] for k, v in query.items()}
        try:
            body = await (route(self.pool, self.schema, params) if route else self.health())
        except ValidationError as exc:
            errors = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            await _respond(send, 400, {"error": "bad_request", "message": errors})
            return
        await _respond(send, 200, body)


async def _respond(send: Send, status: int, body: Any) -> None:
    data = json.dumps(body, ensure_ascii=False, default=str).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": data})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
