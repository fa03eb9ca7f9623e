"""Refuses cross-site requests that change state (CSRF), before any route runs.

A browser attaches the session cookie to a form or fetch that another site sends to us; it
also says where the request comes from (Origin, else Referer), which a page cannot forge.
So a POST, PUT, PATCH or DELETE must come from this server's own origin (its Host header,
as the browser addressed it, or the configured public origin), unless it carries a bearer
token, which a browser never adds on its own. No Origin and no Referer is refused as well.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from services.projection.http import error
from shared import i18n

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SameOriginOnly:
    def __init__(self, app: ASGIApp, public_origin: str | None = None) -> None:
        self.app = app
        self.public_origin = public_origin.rstrip("/").lower() if public_origin else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if headers.get("authorization", "").lower().startswith("bearer "):
            await self.app(scope, receive, send)
            return
        sender = request_origin(headers)
        if sender is None or sender not in self.own_origins(scope, headers):
            origin = sender or i18n.phrase("error.unknown_origin")
            refused = error(
                403,
                "cross_site_request",
                i18n.phrase("error.cross_site", method=scope["method"], origin=origin),
                lang=i18n.language(None, headers.get("accept-language")),
            )
            await refused(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def own_origins(self, scope: Scope, headers: Headers) -> set[str]:
        origins = {self.public_origin} if self.public_origin else set()
        host = headers.get("host")
        if host:
            origins.add(f"{scope.get('scheme', 'http')}://{host}".lower())
        return origins


def request_origin(headers: Headers) -> str | None:
    """`scheme://host[:port]` the request says it comes from; None when it says nothing."""
    origin = headers.get("origin")
    if origin:
        return None if origin == "null" else origin.rstrip("/").lower()
    referer = headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        if parts.scheme and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}".lower()
    return None
