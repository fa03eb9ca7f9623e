"""The reporting HTTP API: read models as JSON. A small ASGI app served by uvicorn."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts.types import CountyCode, Term
from services.projection import aid_coverage

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Handler = Callable[[dict[str, str]], Awaitable[Any]]


class CoverageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    term: Term
    county: CountyCode | None = None


class MissingQuery(CoverageQuery):
    limit: int = Field(1000, ge=1, le=100_000)


class ReportingApp:
    def __init__(
        self, pool: asyncpg.Pool, schema: str, health: Callable[[], Awaitable[Any]]
    ) -> None:
        self.pool = pool
        self.schema = schema
        self.routes: dict[str, Handler] = {
            "/health": lambda _: health(),
            "/api/aid-coverage": self.aid_coverage,
            "/api/students-missing-aid": self.students_missing_aid,
        }

    async def aid_coverage(self, params: dict[str, str]) -> Any:
        q = CoverageQuery.model_validate(params)
        return await aid_coverage.coverage(self.pool, self.schema, q.term, q.county)

    async def students_missing_aid(self, params: dict[str, str]) -> Any:
        q = MissingQuery.model_validate(params)
        return await aid_coverage.missing_aid(self.pool, self.schema, q.term, q.county, q.limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        handler = self.routes.get(scope["path"])
        if scope["method"] != "GET" or handler is None:
            await _respond(
                send, 404, {"error": "not_found", "message": f"no route {scope['path']}"}
            )
            return
        query = parse_qs(scope.get("query_string", b"").decode())
        params = {k: v[-1] for k, v in query.items()}
        try:
            body = await handler(params)
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
