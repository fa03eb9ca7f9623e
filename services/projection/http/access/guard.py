"""Who sends a request, and endpoints open only to the roles that may call them.

A request proves who it comes from with `Authorization: Bearer <token>` (scripts, the CLI)
or the session cookie set at login (the dashboard). A bearer header that does not check out
is refused even when a cookie comes with it. API routes answer an anonymous request with 401
and `WWW-Authenticate: Bearer`; the dashboard page sends the browser to the login form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import asyncpg
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from services.projection.http import (
    Handler,
    HttpError,
    answer,
    query,
    request_language,
    unwrap,
)
from services.projection.http.access.personal import PERSONAL_ROUTES
from services.projection.http.access.scope import report_params, require
from shared.accounts.access_log import record_read
from shared.accounts.credentials import session_principal, token_principal
from shared.accounts.roles import VIEWERS, Principal, Role
from shared.i18n import phrase

COOKIE = "eduplan_session"
CHALLENGE = {"www-authenticate": 'Bearer realm="eduplan"'}
Endpoint = Callable[[Request], Awaitable[Response]]
DEAD_LETTER_FIELDS = ("projection", "event_type", "attempts", "failed_at")
"""What a viewer sees of a dead letter (the dashboard's banner); operators see it all."""


class Guard:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def principal(self, request: Request) -> Principal | None:
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, secret = header.partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                raise HttpError(401, "unauthenticated", phrase("error.bearer_malformed"), CHALLENGE)
            found = await token_principal(self.pool, secret.strip())
            if found is None:
                raise HttpError(401, "unauthenticated", phrase("error.token_refused"), CHALLENGE)
            return found
        cookie = request.cookies.get(COOKIE)
        return await session_principal(self.pool, cookie) if cookie else None

    async def signed_in(self, request: Request) -> Principal:
        who = await self.principal(request)
        if who is None:
            raise HttpError(401, "unauthenticated", phrase("error.log_in"), CHALLENGE)
        return who

    def report(self, path: str, handler: Handler) -> Endpoint:
        """A read-model route for viewers: county scope applied; personal fields blanked for
        readers without `personal_data_reader`, and each read by one who has it logged."""
        personal = PERSONAL_ROUTES.get(path)

        async def endpoint(request: Request) -> Response:
            who = await self.signed_in(request)
            params = report_params(who, path, query(request))
            body, headers = unwrap(await handler(dict(params)))
            lang = request_language(request)
            if personal is None:
                return answer(body, headers, lang)
            if not who.reads_personal_data:
                headers["eduplan-personal-data"] = "hidden"
                return answer(personal.hidden(body), headers, lang)
            await record_read(self.pool, who, path, params, len(personal.rows(body)))
            return answer(body, headers | {"eduplan-personal-data": "shown"}, lang)

        return endpoint

    def operator(self, handler: Handler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            require(await self.signed_in(request), Role.OPERATOR)
            return answer(await handler(query(request)), lang=request_language(request))

        return endpoint

    def dead_letters(self, handler: Handler) -> Endpoint:
        """Operators see every dead letter; viewers what the dashboard's banner counts."""

        async def endpoint(request: Request) -> Response:
            who = await self.signed_in(request)
            if not who.has(Role.OPERATOR) and not who.roles & VIEWERS:
                require(who, Role.OPERATOR)
            found: dict[str, Any] = await handler(query(request))
            if not who.has(Role.OPERATOR):
                letters = [{k: d[k] for k in DEAD_LETTER_FIELDS} for d in found["dead_letters"]]
                found = {**found, "dead_letters": letters}
            return answer(found, lang=request_language(request))

        return endpoint

    async def me(self, request: Request) -> Response:
        return answer((await self.signed_in(request)).as_dict())

    def page(self, render: Callable[[], Response]) -> Endpoint:
        """A page for people: without a session, the login form, then back here."""

        async def endpoint(request: Request) -> Response:
            if await self.principal(request) is None:
                back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(back, safe='')}", 303)
            return render()

        return endpoint
