"""The reporting service's HTTP application: every route, who may call it, and the checks that
run before any route (same-origin for state changes, security headers).

| path | who |
| --- | --- |
| `/health`, `/login`, `/static/*` | anyone |
| `/metrics` | operators (Prometheus scrapes it with an operator's bearer token) |
| `/i18n` (the page's labels) | anyone |
| `/`, `/operations`, `/logout`, `/api/me`, `/api/county-names`, `POST /api/export` | signed in |
| `/api/*` reports | province and county viewers (county scope; personal fields by role) |
| `/api/dead-letters` | viewers (counts) and operators (everything) |
| `/admin/*` | operators |
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from functools import partial

import asyncpg
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.projection.dashboard import dashboard_page, static_routes
from services.projection.dashboard.pages import routes as dashboard_routes
from services.projection.http import EXCEPTION_HANDLERS, Handler, answer
from services.projection.http.access.guard import Guard
from services.projection.http.access.login import Login
from services.projection.http.access.origin import SameOriginOnly
from services.projection.http.admin import Admin
from shared.accounts.access_log import access_log
from shared.settings import Settings

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"referrer-policy", b"same-origin"),
]


def reporting_app(
    pool: asyncpg.Pool,
    settings: Settings,
    reports: Mapping[str, Handler],
    admin: Admin,
) -> Starlette:
    guard = Guard(pool)
    login = Login(pool, timedelta(hours=settings.session_hours), settings.http_origin)

    async def open_health(_: Request) -> Response:
        return answer(await admin.health({}))

    routes: list[BaseRoute] = [
        Route("/health", open_health, methods=["GET"]),
        Route("/login", login.form, methods=["GET"]),
        Route("/login", login.log_in, methods=["POST"]),
        Route("/logout", login.log_out, methods=["POST"]),
        *static_routes(),
        Route("/", guard.page(dashboard_page()), methods=["GET"]),
        *dashboard_routes(guard, pool, "reporting"),
        Route("/api/me", guard.me, methods=["GET"]),
        *(Route(path, guard.report(path, h), methods=["GET"]) for path, h in reports.items()),
        Route("/api/dead-letters", guard.dead_letters(admin.dead_letters), methods=["GET"]),
        Route("/admin/projections", guard.operator(admin.status), methods=["GET"]),
        Route("/admin/access-log", guard.operator(partial(access_log, pool)), methods=["GET"]),
        Route("/metrics", guard.operator(admin.metrics), methods=["GET"]),
        Route("/admin/projections/rebuild", guard.operator(admin.start_rebuild), methods=["POST"]),
        Route(
            "/admin/projections/rebuild/cancel",
            guard.operator(admin.cancel_rebuild),
            methods=["POST"],
        ),
        Route(
            "/admin/projections/retry-dead-letters",
            guard.operator(admin.retry),
            methods=["POST"],
        ),
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(SameOriginOnly, public_origin=settings.http_origin),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
    )


class SecurityHeaders:
    """No framing of our pages (clickjacking), no content sniffing, no referrer to others."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)
