"""The dashboard in a real browser: every service running, `eduplan demo seed`, then what a
person sees in headless Chromium (Debian's, driven by Playwright), with an English browser
(the Chinese page: test_dashboard_chinese.py).

Without /usr/bin/chromium the module fails and says to install it; EDUPLAN_SKIP_BROWSER=1
skips it instead. EDUPLAN_SCREENSHOT=<file.png> saves the full page of the first test.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import asyncpg
import pytest

from shared.accounts import users
from shared.testing import wait_for
from tests.e2e.conftest import System

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    if os.environ.get("EDUPLAN_SKIP_BROWSER") == "1":
        pytest.skip(
            f"EDUPLAN_SKIP_BROWSER=1 and no {CHROMIUM}: the dashboard's browser tests are skipped",
            allow_module_level=True,
        )
    pytest.fail(
        f"The dashboard tests drive Debian's Chromium at {CHROMIUM}, which is missing: install "
        "it (`apt-get install chromium`), or set EDUPLAN_SKIP_BROWSER=1 to skip these tests.",
        pytrace=False,
    )

from playwright.async_api import Browser, Locator, Page, async_playwright, expect  # noqa: E402

pytestmark = pytest.mark.e2e

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
COUNTY, TERM = "610831", "2017-autumn"
JUDGED_ON = "2017-12-01"
"""The demo year's last day of facts (courseware shared): the reporting date every report
judges the demo on by default (read_models/plan/judged_on.py), the page too."""
CHINA = timezone(timedelta(hours=8))
SUBJECTS = ["chinese", "mathematics", "english", "physics", "chemistry", "biology"]
SUBJECTS += ["politics", "history", "geography"]
STATUS_TEXT = {
    "done": "done",
    "on_track": "on track",
    "behind": "behind",
    "not_started": "not started",
    "no_target": "no target",
}
SECTIONS = ("plan", "aid", "missing", "teachers", "alerts", "pairs", "balance")


def count(text: str) -> int:
    """The first number a cell shows (1,838 events -> 1838)."""
    match = re.search(r"\d[\d,]*", text)
    assert match, text
    return int(match.group().replace(",", ""))


def money(text: str) -> Decimal:
    return Decimal(text.strip().removeprefix("¥").replace(",", ""))


async def caught_up(system: System) -> None:
    async def no_lag() -> bool:
        status = system.get("/admin/projections")
        return all(v["lag"] == 0 for r in status for v in r["sources"].values())

    await wait_for(no_lag, timeout=180, interval=0.5)


@pytest.fixture(scope="module")
async def seeded(whole_system: System) -> System:
    """The pilot year recorded by `eduplan demo seed`, projected, and the alerts swept."""
    done = await asyncio.to_thread(whole_system.eduplan, "demo", "seed", timeout=900)
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    assert "0 rejected" in done.stdout

    async def dropout_alert_open() -> bool:
        return bool(whole_system.get(f"/api/alerts?county={COUNTY}&kind=dropout_open"))

    await caught_up(whole_system)
    await wait_for(dropout_alert_open, timeout=60, interval=0.5)
    await wait_for(alerts_settled(whole_system), timeout=300, interval=0.5)
    await caught_up(whole_system)
    return whole_system


def alerts_settled(system: System, sweeps: float = 3.0) -> Callable[[], Awaitable[bool]]:
    """True once the ALERTS stream has not moved for a few sweeps (they resolve the gaps a grant
    run in progress showed, one command each)."""
    seen: dict[str, float] = {}

    async def settled() -> bool:
        status = {r["projection"]: r for r in system.get("/admin/projections")}
        alerts = status["alerts"]["sources"]["alerts"]
        now = time.monotonic()
        if alerts["lag"] or alerts["stream_last"] != seen.get("last"):
            seen.update(last=alerts["stream_last"], since=now)
            return False
        return now - seen["since"] >= sweeps

    return settled


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        await chromium.close()


@dataclass
class Dashboard:
    page: Page
    base: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def open(self, query: str = "", **expected: str) -> None:
        await self.page.goto(f"{self.base}/{query}")
        await self.ready(**expected)

    async def ready(self, **expected: str) -> None:
        """Wait until the whole page has rendered, for these controls (data-term="..." ...)."""
        wanted = "".join(f'[data-{k.replace("_", "-")}="{v}"]' for k, v in expected.items())
        await self.page.wait_for_selector(f"[data-testid=dashboard][data-state=ready]{wanted}")

    def at(self, selector: str) -> Locator:
        return self.page.locator(selector)

    async def texts(self, selector: str) -> list[str]:
        return [await x.inner_text() for x in await self.at(selector).all()]

    async def attributes(self, selector: str, name: str) -> list[str | None]:
        return [await x.get_attribute(name) for x in await self.at(selector).all()]

    async def aid_table(self) -> list[dict[str, Any]]:
        """The aid table as a person reads it, in the API's shape."""
        rows = []
        for tr in await self.at("[data-testid=aid-row]").all():
            row: dict[str, Any] = {"stage": await tr.get_attribute("data-stage")}
            for name in ("registered", "eligible", "aided", "missing"):
                row[name] = count(await tr.locator(f"[data-field={name}]").inner_text())
            for name in ("amount_granted", "amount_paid"):
                row[name] = str(money(await tr.locator(f"[data-field={name}]").inner_text()))
            rows.append(row)
        return rows


async def log_in(page: Page, base: str, user: str, password: str, then: str = "/api/me") -> None:
    """Through the login form, as a person does; `then` is where the form sends the browser."""
    await page.goto(f"{base}/login?next={then}")
    await page.fill("[data-testid=login-name]", user)
    await page.fill("[data-testid=login-password]", password)
    await page.click("[data-testid=login-submit]")
    await page.wait_for_url(f"{base}{then}*")


@pytest.fixture
async def dashboard(browser: Browser, seeded: System) -> AsyncIterator[Dashboard]:
    """A browser tab logged in as the tester (province, personal data, operator)."""
    page = await browser.new_page(locale="en-US", viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(120_000)
    board = Dashboard(page, seeded.reporting_url)
    await log_in(page, board.base, seeded.user, seeded.password)
    page.on("request", lambda request: board.requests.append(request.url))
    page.on("pageerror", lambda error: board.errors.append(str(error)))
    yield board
    await page.close()
    assert not board.errors, "the page's script failed"
    outside = [u for u in board.requests if not u.startswith((f"{board.base}/", "data:"))]
    assert not outside, f"the page loaded something from outside the server: {outside}"


async def test_the_dashboard_shows_the_pilot_school_year_at_a_glance(
    seeded: System, dashboard: Dashboard
) -> None:
    await dashboard.open(county=COUNTY, term=TERM, year="2017")

    progress = seeded.get(f"/api/plan-progress?county={COUNTY}")
    assert progress["judged_on"] == JUDGED_ON, "the API's default reporting date"
    headline = await dashboard.texts("[data-testid=plan-headline]")
    assert headline[0].endswith(f"judged on {JUDGED_ON}"), "the page's is the same"
    cli = seeded.eduplan("county", "progress", "--json", "--county", COUNTY)
    assert json.loads(cli.stdout)["judged_on"] == JUDGED_ON, "the CLI's too"
    plan = progress["tasks"]
    statuses = dict(
        zip(
            await dashboard.attributes("[data-testid=plan-row]", "data-task"),
            await dashboard.texts("[data-testid=plan-row] [data-testid=plan-status]"),
            strict=True,
        )
    )
    assert statuses == {t["task_id"]: STATUS_TEXT[t["status"]] for t in plan}
    assert {"1.1", "1.2", "2.1", "3.1", "4.1"} <= statuses.keys()
    assert statuses["3.1"] == "done", "the 7 pilot pairs are active"
    assert await dashboard.at("[data-testid=plan-status-chart] rect").count() == len(
        set(statuses.values())
    )

    coverage = seeded.get(f"/api/aid-coverage?term={TERM}&county={COUNTY}")
    assert await dashboard.aid_table() == coverage
    assert await dashboard.attributes("[data-testid=aid-bar]", "data-stage") == [
        r["stage"] for r in coverage
    ]
    assert sum(r["aided"] for r in coverage) == 6717

    missing = seeded.get(f"/api/students-missing-aid?term={TERM}&county={COUNTY}")
    shown = await dashboard.texts("[data-testid=missing-row]")
    assert len(shown) == len(missing) == 3
    for student, row in zip(missing, shown, strict=True):
        assert student["name"] in row
        assert student["registry_id"] in row
    assert count(await dashboard.at("[data-testid=missing-count]").inner_text()) == 3

    assert await dashboard.attributes("[data-testid=teacher-row]", "data-subject") == SUBJECTS
    assert await dashboard.attributes("[data-testid=teacher-dot]", "data-subject") == SUBJECTS
    geography = dashboard.at("[data-testid=teacher-row][data-subject=geography]")
    assert await geography.get_attribute("data-status") == "missing"

    await expect(dashboard.at("[data-testid=pair-row]")).to_have_count(7)
    assert await dashboard.at("[data-testid=pairs-active]").inner_text() == "7"
    assert "Zizhou High School" in await dashboard.at("[data-testid=pairs-table]").inner_text()

    balance = seeded.get(f"/api/evaluation/balance?year=2017&county={COUNTY}")
    assert {s["stage"] for s in balance} == {"primary", "junior"}
    for stage in balance:
        expected = {"composite": "pass" if stage["basic_balance_met"] else "fail"}
        expected |= {
            i["indicator"]: {None: "none", True: "pass", False: "fail"}[i["passed"]]
            for i in stage["indicators"]
        }
        rows = f'[data-testid=coef-row][data-stage="{stage["stage"]}"]'
        shown_outcomes = dict(
            zip(
                await dashboard.attributes(rows, "data-indicator"),
                await dashboard.attributes(rows, "data-pass"),
                strict=True,
            )
        )
        assert shown_outcomes == expected
        for indicator, outcome in expected.items():
            cell = dashboard.at(f'{rows}[data-indicator="{indicator}"] [data-field=passed]')
            text = await cell.inner_text()
            assert text == outcome if outcome != "none" else "composite" in text
        chart = f'[data-testid=coefficient-chart][data-stage="{stage["stage"]}"]'
        bars = await dashboard.at(f"{chart} [data-testid=coefficient-bar]").count()
        assert bars == len(stage["indicators"]) + 1
        lines = await dashboard.at(f"{chart} [data-testid=threshold-line]").count()
        assert lines == 1 + sum(i["quality_max"] is not None for i in stage["indicators"])
    assert "fail" in await dashboard.attributes("[data-testid=coef-row]", "data-pass"), (
        "大理河小学 has 2 multimedia classrooms for 620 pupils: that coefficient is too high"
    )

    async def alerts_and_dead_letters_match() -> bool:
        alerts = len(seeded.get(f"/api/alerts?county={COUNTY}&status=open"))
        dead = seeded.get("/api/dead-letters")["count"]
        shown = count(await dashboard.at("[data-testid=alerts-count]").inner_text())
        banner = await dashboard.at("[data-testid=dead-letters-banner]").get_attribute("data-count")
        visible = await dashboard.at("[data-testid=dead-letters-banner]").is_visible()
        if (shown, banner, visible) == (alerts, str(dead), dead > 0):
            return True
        await dashboard.at("[data-testid=control-apply]").click()  # the sweeps moved on: again
        await dashboard.ready()
        return False

    await wait_for(alerts_and_dead_letters_match, timeout=120, interval=0.5)
    assert count(await dashboard.at("[data-testid=alerts-count]").inner_text()) >= 1
    chart = dashboard.at("[data-testid=alerts-chart]")
    assert "Subject without a master teacher" in (await chart.get_attribute("aria-label") or "")
    clipped = await chart.evaluate(
        "svg => [...svg.querySelectorAll('text[text-anchor=end]')]"
        ".filter(t => t.getBBox().x < 0).map(t => t.textContent)"
    )
    assert clipped == [], "every kind's label fits left of its bar"

    assert any("/api/aid-coverage" in u for u in dashboard.requests)
    assert all(u.startswith(f"{dashboard.base}/") for u in dashboard.requests)
    if os.environ.get("EDUPLAN_SCREENSHOT"):
        await dashboard.page.screenshot(path=os.environ["EDUPLAN_SCREENSHOT"], full_page=True)


async def test_changing_the_term_or_the_county_shows_their_figures(
    seeded: System, dashboard: Dashboard
) -> None:
    await dashboard.open(f"?county={COUNTY}&term={TERM}", term=TERM)
    autumn = await dashboard.aid_table()
    assert sum(r["aided"] for r in autumn) > 0

    await dashboard.at("[data-testid=control-term]").select_option("2018-spring")
    await dashboard.ready(term="2018-spring", year="2017")
    spring = await dashboard.aid_table()
    assert spring == seeded.get(f"/api/aid-coverage?term=2018-spring&county={COUNTY}")
    assert sum(r["aided"] for r in spring) == 0 < sum(r["eligible"] for r in spring)
    assert "2018-spring" in await dashboard.at("[data-testid=aid-headline]").inner_text()
    teachers = seeded.get(f"/api/staffing/coverage?term=2018-spring&county={COUNTY}")
    assert await dashboard.attributes("[data-testid=teacher-dot]", "data-teachers") == [
        str(p["teachers"]) for p in teachers
    ]

    await dashboard.at("[data-testid=control-term]").select_option(TERM)
    await dashboard.at("[data-testid=control-county]").select_option("")
    await dashboard.ready(term=TERM, county="")
    assert await dashboard.aid_table() == seeded.get(f"/api/aid-coverage?term={TERM}")
    assert "Province" in await dashboard.at("#where").inner_text()

    await dashboard.at("[data-testid=control-county]").select_option("610802")
    await dashboard.ready(term=TERM, county="610802")
    other = await dashboard.aid_table()
    assert other == seeded.get(f"/api/aid-coverage?term={TERM}&county=610802")
    assert sum(r["registered"] for r in other) == 0
    assert "no plan of Yuyang District in force" in await dashboard.at("#plan").inner_text()
    await expect(dashboard.at("[data-testid=pair-row]")).to_have_count(0)
    assert "county=610802" in dashboard.page.url


async def test_an_events_link_lists_the_events_behind_its_figure(
    seeded: System, dashboard: Dashboard
) -> None:
    await dashboard.open(f"?county={COUNTY}&term={TERM}", term=TERM)
    link = dashboard.at("[data-testid=aid-row][data-stage=junior] [data-testid=events-link]")
    assert (await link.get_attribute("href") or "").startswith("/api/audit/behind?")

    await link.click()

    panel = dashboard.at("[data-testid=audit-panel]")
    await expect(panel).to_be_visible()
    await dashboard.page.wait_for_selector(
        "[data-testid=audit-panel] .audit-body[data-state=ready]"
    )
    behind = seeded.get(
        f"/api/audit/behind?figure=aid-coverage&term={TERM}&stage=junior&county={COUNTY}"
    )
    assert count(await dashboard.at("[data-testid=audit-count]").inner_text()) == behind["count"]
    assert behind["count"] >= 919, "every aided junior student has a grant or two"
    events = await dashboard.texts("[data-testid=audit-event]")
    assert len(events) == min(50, behind["count"])
    assert all("AidGranted" in e and "junior" in e for e in events)
    assert "Junior" in await dashboard.at("#audit-title").inner_text()

    await dashboard.at("[data-testid=audit-close]").click()
    await expect(panel).to_be_hidden()


async def test_every_work_stream_s_figures_trace_to_their_own_events(
    seeded: System, dashboard: Dashboard
) -> None:
    await dashboard.open(county=COUNTY, term=TERM, year="2017")

    async def behind(selector: str) -> dict[str, Any]:
        """The audit search of the events link in `selector`, as the page would ask it."""
        link = dashboard.at(f"{selector} [data-testid=events-link]").first
        params = json.loads(await link.get_attribute("data-params") or "{}")
        return seeded.get(f"/api/audit/behind?{urlencode({**params, 'limit': 10_000})}")

    traced = await dashboard.attributes(
        "[data-testid=plan-row]:has([data-testid=events-link])", "data-task"
    )
    assert {"1.1", "1.2", "2.1", "2.2", "3.1", "3.2", "4.1", "4.2"} <= set(traced), traced
    for task in traced:
        found = await behind(f"[data-testid=plan-row][data-task='{task}']")
        assert found["count"] > 0, f"task {task}: its figure lists no event"
        assert {e["county"] for e in found["events"]} == {COUNTY}

    mathematics = await behind("[data-testid=teacher-row][data-subject=mathematics]")
    facts = {(e["payload"]["subject"], e["event_type"]) for e in mathematics["events"]}
    assert ("mathematics", "MasterTeacherDispatched") in facts
    assert {subject for subject, _ in facts} == {"mathematics"}

    first_pair = dashboard.at("[data-testid=pair-row]").first
    pair_id = await first_pair.get_attribute("data-pair")
    pair = await behind(f"[data-testid=pair-row][data-pair='{pair_id}']")
    assert {e["payload"]["pair_id"] for e in pair["events"]} == {pair_id}
    assert "PairEstablished" in {e["event_type"] for e in pair["events"]}

    for stage in seeded.get(f"/api/evaluation/balance?year=2017&county={COUNTY}"):
        census = await behind(f"[data-testid=balance-stage][data-stage={stage['stage']}] h3")
        assessed = [e for e in census["events"] if e["event_type"] == "BalancedDevelopmentAssessed"]
        assert [e["payload"]["composite"] for e in assessed][-1:] == [stage["composite"]]
        submitted = [e for e in census["events"] if e["event_type"] == "SchoolStatisticsSubmitted"]
        assert len(submitted) == stage["schools"]

    alert_key = seeded.get(f"/api/alerts?county={COUNTY}&status=open")[0]["alert_key"]
    alert = await behind("[data-testid=alert-row]")
    assert {e["payload"]["alert_key"] for e in alert["events"]} == {alert_key}
    assert alert["events"][-1]["event_type"] == "AlertRaised", "it is open"

    link = dashboard.at("[data-testid=plan-row][data-task='3.1'] [data-testid=events-link]")
    await link.click()
    await dashboard.page.wait_for_selector(
        "[data-testid=audit-panel] .audit-body[data-state=ready]"
    )
    pairs = seeded.get(f"/api/audit/behind?figure=pairs&county={COUNTY}")
    assert count(await dashboard.at("[data-testid=audit-count]").inner_text()) == pairs["count"]
    assert "PairEstablished" in await dashboard.at("[data-testid=audit-table]").inner_text()


async def test_as_of_a_day_before_the_demo_every_figure_is_empty(
    seeded: System, dashboard: Dashboard
) -> None:
    first = seeded.get("/api/audit/events?limit=1")["events"][0]["recorded_at"]
    day_before = (datetime.fromisoformat(first).astimezone(CHINA) - timedelta(days=1)).date()
    await dashboard.open(f"?county={COUNTY}&term={TERM}", term=TERM)
    asked_before = len(dashboard.requests)

    await dashboard.at("[data-testid=control-as-of]").fill(day_before.isoformat())
    await dashboard.ready(as_of=day_before.isoformat())

    for name in SECTIONS:
        assert await dashboard.at(f"#{name}").get_attribute("data-state") == "ready", name
    table = await dashboard.aid_table()
    assert [r["stage"] for r in table] == [
        r["stage"] for r in seeded.get(f"/api/aid-coverage?term={TERM}")
    ]
    assert all(r[k] == 0 for r in table for k in ("registered", "eligible", "aided", "missing"))
    assert count(await dashboard.at("[data-testid=missing-count]").inner_text()) == 0
    assert count(await dashboard.at("[data-testid=alerts-count]").inner_text()) == 0
    await expect(dashboard.at("[data-testid=pair-row]")).to_have_count(0)
    await expect(dashboard.at("[data-testid=teacher-row]")).to_have_count(0)
    await expect(dashboard.at("[data-testid=balance-empty]")).to_be_visible()
    assert "done" not in await dashboard.attributes("[data-testid=plan-row]", "data-status")
    asked = [u for u in dashboard.requests[asked_before:] if "/api/" in u]
    assert asked
    assert all(f"as_of={day_before}" in u for u in asked)


async def test_a_report_that_fails_shows_its_error_and_the_rest_still_renders(
    dashboard: Dashboard,
) -> None:
    await dashboard.open(f"?county={COUNTY}&term={TERM}", term=TERM)

    await dashboard.at("[data-testid=control-year]").fill("1999")
    await dashboard.at("[data-testid=control-apply]").click()
    await dashboard.ready(year="1999")

    assert await dashboard.at("#balance").get_attribute("data-state") == "error"
    error = await dashboard.at("#balance [data-testid=section-error]").inner_text()
    assert "400" in error
    assert "year" in error
    for name in SECTIONS[:-1]:
        assert await dashboard.at(f"#{name}").get_attribute("data-state") == "ready", name
    await expect(dashboard.at("[data-testid=pair-row]")).to_have_count(7)

    await dashboard.open(f"?county={COUNTY}&term={TERM}&as_of=not-a-day", term=TERM)
    for name in SECTIONS:
        assert await dashboard.at(f"#{name}").get_attribute("data-state") == "error", name
    assert "as_of" in await dashboard.at("#aid > .body [data-testid=section-error]").inner_text()
    await expect(dashboard.at("h1")).to_be_visible()


async def test_the_page_asks_for_a_login_and_logging_out_ends_the_session(
    seeded: System, browser: Browser
) -> None:
    page = await browser.new_page(locale="en-US")
    page.set_default_timeout(120_000)
    base = seeded.reporting_url
    try:
        await page.goto(f"{base}/?county={COUNTY}")
        assert page.url == f"{base}/login?next=%2F%3Fcounty%3D{COUNTY}"
        await page.fill("[data-testid=login-name]", seeded.user)
        await page.fill("[data-testid=login-password]", "not the password")
        await page.click("[data-testid=login-submit]")
        await expect(page.locator("[data-testid=login-error]")).to_be_visible()
        assert await page.input_value("[data-testid=login-name]") == seeded.user, "kept"

        await page.fill("[data-testid=login-password]", seeded.password)
        await page.click("[data-testid=login-submit]")
        await page.wait_for_selector("[data-testid=dashboard][data-state=ready]")
        assert page.url.startswith(f"{base}/?county={COUNTY}")
        assert seeded.user in await page.locator("[data-testid=user]").inner_text()
        (cookie,) = await page.context.cookies()
        assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")

        await page.click("[data-testid=logout]")
        await page.wait_for_url(f"{base}/login")
        await page.goto(f"{base}/")
        assert page.url.startswith(f"{base}/login"), "the session ended with the logout"
    finally:
        await page.close()


async def test_a_viewer_without_the_personal_data_role_sees_no_name(
    seeded: System, browser: Browser
) -> None:
    conn = await asyncpg.connect(seeded.sandbox.database_url)
    try:
        await users.add_user(conn, "viewer.610831", ["county_viewer"], [COUNTY], "a long password")
    finally:
        await conn.close()
    page = await browser.new_page(locale="en-US", viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(120_000)
    try:
        await log_in(page, seeded.reporting_url, "viewer.610831", "a long password")
        board = Dashboard(page, seeded.reporting_url)
        await board.open(f"?term={TERM}", term=TERM, county=COUNTY)

        missing = seeded.get(f"/api/students-missing-aid?term={TERM}&county={COUNTY}")
        shown = await board.texts("[data-testid=missing-row]")
        assert len(shown) == len(missing) == 3
        for student, row in zip(missing, shown, strict=True):
            assert student["name"] not in row
            assert student["registry_id"] not in row
        assert await board.aid_table() == seeded.get(
            f"/api/aid-coverage?term={TERM}&county={COUNTY}"
        )
    finally:
        await page.close()


async def test_a_rerun_of_the_demo_records_nothing_new(seeded: System) -> None:
    async def events() -> dict[str, int]:
        conn = await asyncpg.connect(seeded.sandbox.database_url)
        try:
            return {
                service: await conn.fetchval(f"SELECT count(*) FROM {service}.events")
                for service in ("assistance", "staffing", "pairing", "evaluation")
            }
        finally:
            await conn.close()

    before = await events()
    rerun = await asyncio.to_thread(seeded.eduplan, "demo", "seed", timeout=900)

    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert await events() == before
    assert "recorded" not in rerun.stdout
    assert "0 rejected" in rerun.stdout
