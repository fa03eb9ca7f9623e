"""The reporting HTTP API's plumbing on Starlette: JSON answers, downloads and errors.

Read-model routes (`ROUTES` of the read-model modules) take the pool, the schema and the query
parameters; they validate the parameters with a pydantic model. A ValidationError is a 400, an
HttpError its own status, an unknown path a 404 and a wrong method a 405, all with a JSON body
`{"error": code, "message": text}`.

What a person reads (an error's message, a report's sentences) is kept as an `i18n.Phrase` and
said here, in the request's language: `lang=`, else Accept-Language, else EDUPLAN_LANG, else
Chinese. Codes and keys stay the same in every language; `lang` is no report parameter.
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

from shared import i18n
from shared.db import UNAVAILABLE

Message = str | i18n.Said
Route = Callable[[asyncpg.Pool, str, dict[str, str]], Awaitable[Any]]
Handler = Callable[[dict[str, str]], Awaitable[Any]]
NO_STORE = {"cache-control": "no-store"}

log = structlog.get_logger()


class HttpError(Exception):
    def __init__(
        self, status: int, code: str, message: Message, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(i18n.said(message, "en"))
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
    """The query parameters, the last of a repeated name; empty values count as absent;
    `lang` is the language of the answer (request_language), not a parameter."""
    return {k: v for k, v in request.query_params.multi_items() if v and k != "lang"}


def request_language(request: Request) -> str:
    """The language to answer in: `lang=`, else Accept-Language, else EDUPLAN_LANG, else zh."""
    return i18n.language(request.query_params.get("lang"), request.headers.get("accept-language"))


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None, lang: str | None = None
) -> Response:
    data = json.dumps(i18n.localized(body, lang), ensure_ascii=False, default=str).encode()
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


def answer(
    result: Any, headers: Mapping[str, str] | None = None, lang: str | None = None
) -> Response:
    """A handler's result as a response: a Download as an attachment, the rest as JSON with
    its sentences said in `lang`."""
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
    return json_response(body, headers=headers, lang=lang)


def error(
    status: int,
    code: str,
    message: Message,
    headers: Mapping[str, str] | None = None,
    lang: str | None = None,
) -> Response:
    return json_response({"error": code, "message": message}, status, headers, lang)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HttpError)
    return error(exc.status, exc.code, exc.message, exc.headers, request_language(request))


async def _bad_request(request: Request, exc: Exception) -> Response:
    """pydantic's own words name the parameter at fault; the sentence around them is ours."""
    assert isinstance(exc, ValidationError)
    problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    message = i18n.phrase("error.bad_parameters", problems=problems)
    return error(400, "bad_request", message, lang=request_language(request))


async def _starlette_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    lang = request_language(request)
    where = {"method": request.method, "path": request.url.path}
    if exc.status_code == 404:
        return error(404, "not_found", i18n.phrase("error.no_route", **where), lang=lang)
    if exc.status_code == 405:
        message = i18n.phrase("error.no_method", **where)
        return error(405, "method_not_allowed", message, exc.headers, lang)
    return error(exc.status_code, "http_error", str(exc.detail), exc.headers, lang)


async def _unavailable(request: Request, exc: Exception) -> Response:
    """A server the reports need cannot be reached: say which, as JSON, and that it is
    temporary (503), never a bare 500 page."""
    what = "nats" if isinstance(exc, NatsError) else "reporting_database"
    reason = str(exc) or type(exc).__name__
    log.warning("report_unavailable", server=what, error=reason)
    message = i18n.phrase("error.unavailable", server=i18n.named("server", what), reason=reason)
    return error(503, "unavailable", message, lang=request_language(request))


async def _internal(request: Request, exc: Exception) -> Response:
    message = i18n.phrase("error.internal", error=type(exc).__name__)
    return error(500, "internal_error", message, lang=request_language(request))


EXCEPTION_HANDLERS: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
    HttpError: _http_error,
    ValidationError: _bad_request,
    HTTPException: _starlette_error,
    NatsError: _unavailable,
    **dict.fromkeys(UNAVAILABLE, _unavailable),
    Exception: _internal,
}
