"""The dashboard's own routes besides its files: the catalogue in the person's language, the
county picker's list, table downloads, and the operators' page.

| path | who |
| --- | --- |
| `GET /i18n?lang=` | anyone (labels only: the login page may need them) |
| `GET /api/county-names` | signed in (a county viewer gets their counties) |
| `POST /api/export` | signed in (the table the person already sees, as a file) |
| `GET /operations` | signed in (its script reads the operators' API: others see why not) |
"""

from __future__ import annotations

import json

import asyncpg
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from services.projection.dashboard import assets
from services.projection.dashboard.exports import Sheet, export
from services.projection.http import HttpError, answer, json_response
from services.projection.http.access.guard import Guard
from services.projection.read_models.evaluation.county_plans import counties_with_plans
from shared import i18n
from shared.accounts.roles import Role

MAX_EXPORT_BYTES = 20 * 1024 * 1024


async def catalogue(request: Request) -> Response:
    """Every label and sentence of the page in one language: `lang` if given, else the
    browser's Accept-Language, else EDUPLAN_LANG, else Chinese."""
    lang = i18n.language(request.query_params.get("lang"), request.headers.get("accept-language"))
    return json_response(
        {"lang": lang, "languages": list(i18n.LANGUAGES), "messages": i18n.entries(lang)},
        headers={"vary": "accept-language"},
    )


def counties(planned: frozenset[str]) -> list[dict[str, object]]:
    """The counties a person can pick: the named ones of the catalogue and every county with a
    plan adopted, with their Chinese and English names."""
    codes = set(i18n.entries("zh").get("county", {})) | planned
    return [
        {
            "code": code,
            "name_zh": i18n.label("county", code, "zh"),
            "name_en": i18n.label("county", code, "en"),
            "has_plan": code in planned,
        }
        for code in sorted(codes)
        if not code.endswith("0000")  # the province is "every county", not one of them
    ]


def counties_of(every: list[dict[str, object]], own: tuple[str, ...]) -> list[dict[str, object]]:
    """A county viewer's counties, named where the catalogue names them."""
    known = {str(c["code"]): c for c in every}
    return [
        known.get(code, {"code": code, "name_zh": code, "name_en": code, "has_plan": False})
        for code in sorted(own)
    ]


def routes(guard: Guard, pool: asyncpg.Pool, schema: str) -> list[BaseRoute]:
    operations = assets()["/static/operations.html"]

    async def county_list(request: Request) -> Response:
        who = await guard.signed_in(request)
        every_county = counties(frozenset(await counties_with_plans(pool, schema)))
        if who.has(Role.PROVINCE_VIEWER) or not who.counties:
            return answer(every_county)
        return answer(counties_of(every_county, who.counties))

    async def download(request: Request) -> Response:
        await guard.signed_in(request)
        body = await request.body()
        if len(body) > MAX_EXPORT_BYTES:
            raise HttpError(
                413, "too_large", i18n.phrase("error.table_too_large", most=f"{MAX_EXPORT_BYTES:,}")
            )
        try:
            posted = json.loads(body or b"null")
        except ValueError:
            raise HttpError(400, "bad_request", i18n.phrase("error.table_not_json")) from None
        return answer(export(Sheet.model_validate(posted)))

    return [
        Route("/i18n", catalogue, methods=["GET"]),
        Route("/api/county-names", county_list, methods=["GET"]),
        Route("/api/export", download, methods=["POST"]),
        Route("/operations", guard.page(operations.response), methods=["GET"]),
    ]
