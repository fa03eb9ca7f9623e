"""The dashboard as a county office reads it, in Debian's headless Chromium: Chinese by default
and in a CJK font (no missing-glyph boxes), English on request, counties by name, the province
comparison, the drill-down to schools, Excel downloads opened with openpyxl, a phone's width,
and the operators' page.

A small system: the assistance, pairing and projection services, a 40-student roster and the
pilot's 7 pairs (seconds, not the whole demo year of test_dashboard.py).
EDUPLAN_SCREENSHOTS=<dir> writes screenshots of the main pages there (`make screenshots`).
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from shared.launcher import SERVICES
from shared.servers import ServerEndpoints
from shared.testing import create_sandbox, drop_sandbox
from tests.e2e.conftest import System, running

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.fail(
        f"The dashboard tests drive Debian's Chromium at {CHROMIUM}, which is missing: "
        "apt-get install chromium fonts-noto-cjk",
        pytrace=False,
    )

from playwright.async_api import Browser, Page, async_playwright, expect  # noqa: E402

from tests.e2e.test_dashboard import ARGS, log_in  # noqa: E402

pytestmark = pytest.mark.e2e

COUNTY, TERM = "610831", "2017-autumn"
CJK_FONTS = re.compile(r"CJK|Han Sans|YaHei|PingFang|WenQuanYi|Hei|Song", re.IGNORECASE)
SHOTS = os.environ.get("EDUPLAN_SCREENSHOTS")


@pytest.fixture(scope="module")
async def small_system(servers: ServerEndpoints) -> AsyncIterator[System]:
    """A roster of 40 pilot students granted their autumn aid, and the 7 pilot pairs."""
    assert {"assistance", "pairing"} <= set(SERVICES)
    sandbox = await create_sandbox(servers.nats_url, servers.database_url)
    try:
        async with running(sandbox, "assistance", "pairing") as up:
            steps = [
                ("sample-roster", "full.csv"),
                ("roster", "import", "roster.csv"),
                ("aid", "grant", "--term", TERM, "--county", COUNTY),
                ("pairing", "seed"),
            ]
            for step in steps:
                if step[0] == "roster":
                    lines = (up.workdir / "full.csv").read_text(encoding="utf-8").splitlines()
                    picked = lines[:1] + lines[1::160][:40]
                    (up.workdir / "roster.csv").write_text("\n".join(picked) + "\n", "utf-8")
                done = await asyncio.to_thread(up.eduplan, *step, timeout=300)
                assert done.returncode == 0, (step, done.stdout[-2000:], done.stderr[-2000:])
            yield up
    finally:
        await drop_sandbox(sandbox)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        await chromium.close()


async def open_page(
    browser: Browser, system: System, query: str, locale: str = "zh-CN", width: int = 1400
) -> Page:
    page = await browser.new_page(locale=locale, viewport={"width": width, "height": 900})
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await log_in(page, system.reporting_url, system.user, system.password)
    await page.goto(f"{system.reporting_url}/{query}")
    await page.wait_for_selector("[data-testid=dashboard][data-state=ready]")
    assert not errors, errors
    return page


async def fonts_of(page: Page, selector: str) -> dict[str, int]:
    """The fonts Chromium drew a node's text with, and how many glyphs each (DevTools)."""
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("DOM.enable")
    await cdp.send("CSS.enable")
    root = await cdp.send("DOM.getDocument")
    node = await cdp.send(
        "DOM.querySelector", {"nodeId": root["root"]["nodeId"], "selector": selector}
    )
    used = await cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})
    return {f["familyName"]: f["glyphCount"] for f in used["fonts"]}


async def test_chinese_by_default_drawn_in_a_chinese_font_and_english_on_request(
    browser: Browser, small_system: System
) -> None:
    page = await open_page(browser, small_system, f"?county={COUNTY}&term={TERM}")

    assert await page.get_attribute("html", "lang") == "zh-CN"
    assert await page.inner_text("#plan-title") == "工作进度"
    assert await page.inner_text("#aid-title") == "学生资助"
    statuses = await page.locator("[data-testid=plan-status]").all_inner_texts()
    assert statuses
    assert set(statuses) <= {"已完成", "按计划推进", "滞后", "未开始", "无指标"}
    headers = await page.locator("[data-testid=aid-table] thead th").all_inner_texts()
    assert headers[:4] == ["学段", "建档立卡人数", "应助人数", "已助人数"]
    assert "¥" in await page.inner_text("[data-testid=aid-total] [data-field=amount_granted]")
    assert "高中" in await page.inner_text("[data-testid=aid-table]")
    assert "high_school" not in await page.inner_text("main")

    fonts = await fonts_of(page, "#plan-title")
    cjk = {name: glyphs for name, glyphs in fonts.items() if CJK_FONTS.search(name)}
    assert cjk, f"工作进度 drawn without a Chinese font (missing glyphs): {fonts}"
    assert sum(cjk.values()) == len("工作进度"), fonts

    await page.select_option("[data-testid=control-lang]", "en")
    await page.wait_for_selector("[data-testid=dashboard][data-state=ready][data-lang=en]")
    assert await page.get_attribute("html", "lang") == "en"
    assert await page.inner_text("#plan-title") == "Plan progress"
    english = await page.locator("[data-testid=plan-status]").all_inner_texts()
    assert set(english) <= {"done", "on track", "behind", "not started", "no target"}
    assert "lang=en" in page.url
    await page.reload()
    await page.wait_for_selector("[data-testid=dashboard][data-state=ready][data-lang=en]")
    assert await page.inner_text("#aid-title") == "Aid coverage by stage"
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/dashboard-en.png", full_page=True)
    await page.close()


async def test_the_county_picker_names_counties_and_the_province_compares_them(
    browser: Browser, small_system: System
) -> None:
    page = await open_page(browser, small_system, f"?county={COUNTY}&term={TERM}")
    picker = page.locator("[data-testid=control-county]")
    options = await picker.locator("option").all_inner_texts()
    assert options[0] == "全省（所有县区）"
    assert {"子洲县", "榆阳区", "神木市"} <= set(options)
    assert not any(re.fullmatch(r"\d{6}", o) for o in options), "names, not codes"
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/dashboard.png", full_page=True)

    await picker.select_option("610802")
    await page.wait_for_selector("[data-testid=dashboard][data-state=ready][data-county='610802']")
    assert "榆阳区" in await page.inner_text("#where")

    await picker.select_option("")
    await page.wait_for_selector("[data-testid=dashboard][data-state=ready][data-county='']")
    plan = small_system.get("/api/plan-progress?today=2017-12-31")
    counties = sorted({t["county"] for t in plan["tasks"]})
    assert (
        sorted(
            await page.locator("[data-testid=compare-row]").evaluate_all(
                "rows => rows.map(r => r.dataset.county)"
            )
        )
        == counties
    )
    for task in plan["tasks"]:
        row = f"[data-testid=compare-row][data-county='{task['county']}']"
        cell = page.locator(f"{row} td[data-task='{task['task_id']}']")
        assert await cell.get_attribute("data-status") == task["status"]
    done = page.locator("[data-testid=compare-table] th[data-sort=done]")
    await done.click()
    await page.wait_for_selector(
        "[data-testid=compare-table] th[data-sort=done][aria-sort=descending]"
    )
    await page.locator("[data-testid=compare-table] th[data-sort=done]").click()
    await page.wait_for_selector(
        "[data-testid=compare-table] th[data-sort=done][aria-sort=ascending]"
    )
    dones = [
        int(x)
        for x in await page.locator("[data-testid=compare-row] [data-field=done]").all_inner_texts()
    ]
    assert dones == sorted(dones)
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/province.png", full_page=True)
    await page.close()


async def test_aid_drills_down_to_schools_and_every_table_downloads_as_excel(
    browser: Browser, small_system: System, tmp_path: Path
) -> None:
    page = await open_page(browser, small_system, f"?county={COUNTY}&term={TERM}")
    coverage = small_system.get(f"/api/aid-coverage?term={TERM}&county={COUNTY}")
    stage = next(r["stage"] for r in coverage if r["aided"])

    await page.click(f"[data-testid=drill-schools][data-stage={stage}]")
    await page.wait_for_selector("#schools[data-state=ready] [data-testid=schools-table]")
    schools = small_system.get(
        f"/api/aid-coverage/schools?term={TERM}&county={COUNTY}&stage={stage}"
    )
    shown = await page.locator("[data-testid=school-row]").evaluate_all(
        "rows => rows.map(r => r.dataset.school + '/' + r.dataset.stage)"
    )
    assert shown == [f"{s['school']}/{s['stage']}" for s in schools]
    assert sum(s["aided"] for s in schools) == next(
        r["aided"] for r in coverage if r["stage"] == stage
    )

    async with page.expect_download() as caught:
        await page.click("[data-testid=download-xlsx][data-table=aid-table]")
    saved = tmp_path / "aid.xlsx"
    await (await caught.value).save_as(saved)
    sheet = load_workbook(saved).worksheets[0]
    assert [c.value for c in sheet[2]][:4] == ["学段", "建档立卡人数", "应助人数", "已助人数"]
    body = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [row[3] for row in body[: len(coverage)]] == [r["aided"] for r in coverage]
    granted = sheet.cell(row=3 + len(coverage), column=6)
    assert granted.number_format == '"¥"#,##0.00'
    assert granted.value == pytest.approx(sum(float(r["amount_granted"]) for r in coverage))

    async with page.expect_download() as caught:
        await page.click("[data-testid=download-csv][data-table=plan-table]")
    csv_file = await (await caught.value).path()
    csv_text = await asyncio.to_thread(Path(csv_file).read_text, encoding="utf-8-sig")
    assert csv_text.splitlines()[0].startswith("任务,")
    await page.close()


async def test_a_phone_shows_the_key_columns_without_sideways_scrolling(
    browser: Browser, small_system: System
) -> None:
    page = await open_page(browser, small_system, f"?county={COUNTY}&term={TERM}", width=400)

    assert await page.evaluate("document.documentElement.scrollWidth") <= 400
    for table, key in (
        ("plan-table", "[data-testid=plan-status]"),
        ("aid-table", "[data-field=amount_paid]"),
        ("aid-table", "[data-field=aided]"),
        ("pairs-table", "[data-field=helper_to_helped]"),
    ):
        scroller = page.locator(f"[data-testid={table}]").locator("xpath=..")
        fits = await scroller.evaluate("div => div.scrollWidth <= div.clientWidth")
        assert fits, f"{table} scrolls sideways at 400 px"
        for box in [
            await c.bounding_box() for c in await page.locator(f"[data-testid={table}] {key}").all()
        ]:
            assert box is not None
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= 400, (table, key, box)
    await expect(page.locator("[data-testid=plan-table] th.opt").first).to_be_hidden()
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/phone.png", full_page=True)
    await page.close()


async def test_operators_read_projections_and_dead_letters_on_a_page(
    browser: Browser, small_system: System
) -> None:
    page = await browser.new_page(locale="zh-CN")
    await log_in(page, small_system.reporting_url, small_system.user, small_system.password)
    await page.goto(f"{small_system.reporting_url}/operations")
    await page.wait_for_selector("[data-testid=operations][data-state=ready]")

    status = small_system.get("/admin/projections")
    rows = page.locator("[data-testid=projection-row]")
    assert await rows.count() == sum(len(p["sources"]) for p in status)
    assert await page.inner_text("h1") == "读模型与死信"
    dead = small_system.get("/api/dead-letters")["count"]
    assert int(await page.inner_text("[data-testid=dead-letter-count]")) == dead
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/operations.png", full_page=True)
    await page.close()
