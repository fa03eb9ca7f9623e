"""The dashboard page and its files, served by the projection service (no external CDN).

The files under `/static/` hold code and styles, no data, so they need no login; the page
itself (`/`) is served to signed-in users only, and its script reads the API as them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.projection.http import NO_STORE

STATIC = Path(__file__).with_name("static")
TEMPLATES = frozenset({"login.html"})
"""Filled in by the server (access/login.py), never served as they are."""
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


class Asset:
    """A static file: body and content type."""

    def __init__(self, body: bytes, content_type: str) -> None:
        self.body, self.content_type = body, content_type

    def response(self) -> Response:
        return Response(self.body, 200, NO_STORE, self.content_type)


def assets() -> dict[str, Asset]:
    """Every file of static/ under `/static/<name>`, read once."""
    return {
        f"/static/{p.name}": Asset(p.read_bytes(), TYPES.get(p.suffix, "application/octet-stream"))
        for p in sorted(STATIC.iterdir())
        if p.is_file() and p.name not in TEMPLATES
    }


def static_routes() -> list[Route]:
    return [Route(path, _endpoint(asset), methods=["GET"]) for path, asset in assets().items()]


def dashboard_page() -> Callable[[], Response]:
    """The page at `/` (its script fetches the reports)."""
    page = assets()["/static/index.html"]
    return page.response


def _endpoint(asset: Asset) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(_: Request) -> Response:
        return asset.response()

    return endpoint
