"""What the reporting API says to a person is said in the request's language (`lang=`, else
Accept-Language, else Chinese); the machine-readable codes stay the same in every language."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.projection.http import EXCEPTION_HANDLERS, HttpError, answer, request_language
from shared import i18n

ENGLISH_WORDS = re.compile(r"[A-Za-z]{3,}")


async def refuse(_: Request) -> Response:
    raise HttpError(409, "no_rebuild_running", i18n.phrase("error.no_rebuild", name="alerts"))


async def report(request: Request) -> Response:
    body = {"tasks": [{"actual": i18n.phrase("progress.no_grant_run"), "status": "not_started"}]}
    return answer(body, lang=request_language(request))


async def ask(path: str, **headers: str) -> httpx.Response:
    app = Starlette(
        routes=[Route("/refuse", refuse), Route("/report", report)],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path, headers=headers)


@pytest.mark.parametrize("path", ["/refuse", "/nothing-here"])
async def test_an_error_is_chinese_by_default_and_english_when_asked(path: str) -> None:
    zh = await ask(path, **{"Accept-Language": "zh-CN,zh;q=0.9"})
    en = await ask(path, **{"Accept-Language": "en-US,en;q=0.9"})
    asked = await ask(f"{path}?lang=en", **{"Accept-Language": "zh-CN"})

    assert zh.status_code == en.status_code == asked.status_code
    assert zh.json()["error"] == en.json()["error"] == asked.json()["error"]
    assert re.search(r"[\u4e00-\u9fff]", zh.json()["message"]), zh.json()
    assert not re.search(r"[\u4e00-\u9fff]", en.json()["message"]), en.json()
    assert asked.json()["message"] == en.json()["message"]
    assert (await ask(path)).json()["message"] == zh.json()["message"]


async def test_a_report_s_sentences_are_said_in_the_request_s_language() -> None:
    zh = (await ask("/report", **{"Accept-Language": "zh"})).json()["tasks"][0]
    en = (await ask("/report?lang=en")).json()["tasks"][0]

    assert not ENGLISH_WORDS.search(zh["actual"]), zh
    assert en["actual"] == "no grant run yet"
    assert zh["status"] == en["status"] == "not_started"
