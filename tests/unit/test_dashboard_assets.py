"""The dashboard's files: served with their types, local references only, valid JavaScript."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser

import httpx
import pytest
from starlette.applications import Starlette

from services.projection.dashboard import STATIC, assets, dashboard_page, static_routes
from services.projection.http import EXCEPTION_HANDLERS

PAGE_FILES = ("index.html", "login.html", "app.js", "style.css")
REMOTE = re.compile(r"https?://|(?<![:\w])//[\w.-]+\.[a-z]{2,}/", re.IGNORECASE)


async def get(path: str) -> tuple[int, dict[str, str], bytes]:
    """One GET of the files under /static/, as the reporting app routes them."""
    app = Starlette(routes=static_routes(), exception_handlers=EXCEPTION_HANDLERS)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get(path)
    return response.status_code, dict(response.headers), response.content


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/index.html", "text/html; charset=utf-8"),
        ("/static/app.js", "text/javascript; charset=utf-8"),
        ("/static/style.css", "text/css; charset=utf-8"),
    ],
)
async def test_each_file_is_served_with_its_content_type(path: str, content_type: str) -> None:
    status, headers, body = await get(path)

    assert status == 200
    assert headers["content-type"] == content_type
    assert body


def test_the_root_is_the_dashboard_page() -> None:
    page = dashboard_page()()

    assert page.body == (STATIC / "index.html").read_bytes()
    assert b'data-testid="dashboard"' in page.body
    assert page.headers["content-type"] == "text/html; charset=utf-8"


async def test_the_login_template_is_not_served_as_it_is() -> None:
    status, _, _ = await get("/static/login.html")

    assert status == 404


async def test_an_unknown_file_is_not_found() -> None:
    status, _, _ = await get("/static/nothing.js")

    assert status == 404


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("src", "href", "action") and v is not None]


@pytest.mark.parametrize("name", ["index.html", "login.html"])
def test_the_page_refers_only_to_files_of_this_server(name: str) -> None:
    parser = _References()
    parser.feed((STATIC / name).read_text(encoding="utf-8"))
    served = assets()

    assert parser.urls, "the page links its stylesheet"
    for url in parser.urls:
        assert url.startswith(("/", "#", "data:")), url
        assert not url.startswith("//"), url
        path = url.split("?")[0]
        if path.startswith("/static/"):
            assert path in served, f"{url} is not a file of static/"


@pytest.mark.parametrize("name", PAGE_FILES)
def test_no_file_names_a_remote_address_outside_comments(name: str) -> None:
    text = (STATIC / name).read_text(encoding="utf-8")

    code = without_comments(text, name.rsplit(".", 1)[1])

    assert not REMOTE.findall(code), f"{name} refers to another server"
    if name.endswith(".css"):
        assert "@import" not in code
        assert all(
            u.strip("'\" ").startswith(("/", "data:")) for u in re.findall(r"url\(([^)]*)\)", code)
        )


def test_the_comment_stripper_keeps_addresses_in_strings() -> None:
    js = 'const a = "http://x.org/y"; // http://comment.org\n'
    js += "/* https://block.org */ f(`//cdn.org/`);"

    code = without_comments(js, "js")

    assert REMOTE.findall(code) == ["http://", "//cdn.org/"]
    assert without_comments("<!-- http://a.org --><b>x</b>", "html") == "<b>x</b>"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_script_has_no_syntax_error() -> None:
    node = shutil.which("node")
    assert node is not None
    checked = subprocess.run(
        [node, "--check", str(STATIC / "app.js")], capture_output=True, text=True, check=False
    )

    assert checked.returncode == 0, checked.stderr


def without_comments(text: str, kind: str) -> str:
    """The text without its comments; strings are kept whole (JavaScript and CSS)."""
    if kind == "html":
        return re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    out: list[str] = []
    i, quote = 0, ""
    while i < len(text):
        char, pair = text[i], text[i : i + 2]
        if quote:
            out.append(text[i : i + 2] if char == "\\" else char)
            i += 2 if char == "\\" else 1
            quote = "" if char == quote else quote
        elif pair == "/*":
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
        elif pair == "//" and kind == "js":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        else:
            quote = char if char in "'\"`" else ""
            out.append(char)
            i += 1
    return "".join(out)
