"""The login form, login and logout: a server-side session behind an HttpOnly cookie.

The cookie is SameSite=Strict (another site's page never sends it), HttpOnly (no script
reads it), Secure when the dashboard is served over HTTPS, and lasts as long as its session.
"""

from __future__ import annotations

import html
from datetime import timedelta
from urllib.parse import parse_qs

import asyncpg
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from services.projection.dashboard import STATIC
from services.projection.http import NO_STORE, HttpError, request_language
from services.projection.http.access.guard import COOKIE
from shared.accounts import credentials, users
from shared.i18n import phrase, text

MAX_FORM_BYTES = 4096


class Login:
    def __init__(
        self, pool: asyncpg.Pool, lifetime: timedelta, public_origin: str | None = None
    ) -> None:
        self.pool = pool
        self.lifetime = lifetime
        self.https_behind_proxy = bool(public_origin and public_origin.startswith("https://"))
        self.template = (STATIC / "login.html").read_text(encoding="utf-8")

    async def form(self, request: Request) -> Response:
        return self.page(request.query_params.get("next", "/"))

    async def log_in(self, request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            raise HttpError(413, "too_large", phrase("error.login_too_large"))
        fields = {k: v[-1] for k, v in parse_qs(body.decode(errors="replace")).items()}
        name, target = fields.get("name", "").strip(), fields.get("next", "/")
        who = await users.log_in(self.pool, name, fields.get("password", ""))
        if who is None:
            wrong = text("error.wrong_login", request_language(request))
            return self.page(target, wrong, name)
        secret = await credentials.open_session(self.pool, who.name, self.lifetime)
        response = RedirectResponse(local(target), 303, NO_STORE)
        response.set_cookie(
            COOKIE,
            secret,
            max_age=int(self.lifetime.total_seconds()),
            secure=request.url.scheme == "https" or self.https_behind_proxy,
            httponly=True,
            samesite="strict",
        )
        return response

    async def log_out(self, request: Request) -> Response:
        secret = request.cookies.get(COOKIE)
        if secret:
            await credentials.close_session(self.pool, secret)
        response = RedirectResponse("/login", 303, NO_STORE)
        response.delete_cookie(COOKIE, httponly=True, samesite="strict")
        return response

    def page(self, target: str, message: str = "", name: str = "") -> HTMLResponse:
        note = f'<p class="error" role="alert" data-testid="login-error">{html.escape(message)}</p>'
        text = self.template.replace("{{message}}", note if message else "")
        text = text.replace("{{name}}", html.escape(name))
        text = text.replace("{{next}}", html.escape(local(target)))
        return HTMLResponse(text, 401 if message else 200, NO_STORE)


def local(target: str) -> str:
    """Only a path of this server is a place to return to after login (no open redirect)."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"
