"""The reporting HTTP API: JSON for programs, a dashboard page for people. A small ASGI app.

Read-model routes (`ROUTES` of the read-model modules) take the pool, the schema and the query
parameters; they validate the parameters with a pydantic model (400 on bad input).
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
Handler = Callable[[dict[str, str]], Awaitable[Any]]


class HttpError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Asset:
    """A static file: body and content type."""

    def __init__(self, body: bytes, content_type: str) -> None:
        self.body, self.content_type = body, content_type


class Download:
    """A route's answer that is not JSON: sent as it is, as an attachment named `filename`."""

    def __init__(
        self,
        body: bytes,
        content_type: str,
        filename: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.body, self.content_type, self.filename = body, content_type, filename
        self.headers = dict(headers or {})


class ReportingApp:
    def __init__(
        self,
        get: Mapping[str, Handler],
        post: Mapping[str, Handler] | None = None,
        assets: Mapping[str, Asset] | None = None,
    ) -> None:
        self.routes = {"GET": dict(get), "POST": dict(post or {})}
        self.assets = dict(assets or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        path, method = scope["path"], scope["method"]
        if method == "GET" and path in self.assets:
            asset = self.assets[path]
            await _send(send, 200, asset.body, asset.content_type)
            return
        handler = self.routes.get(method, {}).get(path)
        if handler is None:
            await _json(send, 404, {"error": "not_found", "message": f"no {method} {path}"})
            return
        query = parse_qs(scope.get("query_string", b"").decode())
        params = {k: v[-1] for k, v in query.items()}
        try:
            body = await handler(params)
        except ValidationError as exc:
            errors = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            await _json(send, 400, {"error": "bad_request", "message": errors})
            return
        except HttpError as exc:
            await _json(send, exc.status, {"error": exc.code, "message": exc.message})
            return
        if isinstance(body, Download):
            disposition = {"content-disposition": f'attachment; filename="{body.filename}"'}
            await _send(send, 200, body.body, body.content_type, disposition | body.headers)
            return
        await _json(send, 200, body)


async def _json(send: Send, status: int, body: Any) -> None:
    data = json.dumps(body, ensure_ascii=False, default=str).encode()
    await _send(send, status, data, "application/json; charset=utf-8")


async def _send(
    send: Send, status: int, body: bytes, content_type: str, extra: Mapping[str, str] | None = None
) -> None:
    headers = [(b"content-type", content_type.encode()), (b"cache-control", b"no-store")]
    headers += [(k.lower().encode(), v.encode("latin-1")) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
