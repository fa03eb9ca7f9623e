"""The reporting HTTP API's plumbing on Starlette: JSON answers, downloads and errors.

Read-model routes (`ROUTES` of the read-model modules) take the pool, the schema and the query
parameters; they validate the parameters with a pydantic model. A ValidationError is a 400, an
HttpError its own status, an unknown path a 404 and a wrong method a 405, all with a JSON body
`{"error": code, "message": text}`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog
from nats.errors import Error as NatsError
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from shared.db import UNAVAILABLE

Route = Callable[[asyncpg.Pool, str, dict[str, str]], Awaitable[Any]]
Handler = Callable[[dict[str, str]], Awaitable[Any]]
NO_STORE = {"cache-control": "no-store"}

log = structlog.get_logger()


class HttpError(Exception):
    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})


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


def query(request: Request) -> dict[str, str]:
    """The query parameters, the last of a repeated name; empty values count as absent."""
    return {k: v for k, v in request.query_params.multi_items() if v}


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    data = json.dumps(body, ensure_ascii=False, default=str).encode()
    return Response(
        data, status, {**NO_STORE, **(headers or {})}, "application/json; charset=utf-8"
    )


@dataclass(frozen=True)
class Answer:
    """A handler's body with headers of its own (e.g. how fresh the read model is)."""

    body: Any
    headers: Mapping[str, str]


def unwrap(result: Any) -> tuple[Any, dict[str, str]]:
    """The body of a handler's result, and its own headers."""
    if isinstance(result, Answer):
        return result.body, dict(result.headers)
    return result, {}


def answer(result: Any, headers: Mapping[str, str] | None = None) -> Response:
    """A handler's result as a response: a Download as an attachment, the rest as JSON."""
    body, own = unwrap(result)
    headers = {**own, **(headers or {})}
    if isinstance(body, Download):
        disposition = {"content-disposition": f'attachment; filename="{body.filename}"'}
        return Response(
            body.body,
            200,
            {**NO_STORE, **disposition, **body.headers, **(headers or {})},
            body.content_type,
        )
    return json_response(body, headers=headers)


def error(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    return json_response({"error": code, "message": message}, status, headers)


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HttpError)
    return error(exc.status, exc.code, exc.message, exc.headers)


async def _bad_request(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ValidationError)
    problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return error(400, "bad_request", problems)


async def _starlette_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error(404, "not_found", f"no {request.method} {request.url.path}")
    if exc.status_code == 405:
        return error(
            405, "method_not_allowed", f"no {request.method} {request.url.path}", exc.headers
        )
    return error(exc.status_code, "http_error", str(exc.detail), exc.headers)


async def _unavailable(_: Request, exc: Exception) -> Response:
    """A server the reports need cannot be reached: say which, as JSON, and that it is
    temporary (503), never a bare 500 page."""
    what = "NATS" if isinstance(exc, NatsError) else "the reporting database"
    reason = str(exc) or type(exc).__name__
    log.warning("report_unavailable", server=what, error=reason)
    return error(503, "unavailable", f"{what} cannot be reached now ({reason}); try again")


async def _internal(_: Request, exc: Exception) -> Response:
    return error(500, "internal_error", f"the report failed ({type(exc).__name__}); see the log")


EXCEPTION_HANDLERS: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
    HttpError: _http_error,
    ValidationError: _bad_request,
    HTTPException: _starlette_error,
    NatsError: _unavailable,
    **dict.fromkeys(UNAVAILABLE, _unavailable),
    Exception: _internal,
}
