"""The dashboard as a county office reads it, in Debian's headless Chromium: Chinese by default
and in a CJK font (no missing-glyph boxes), English on request, counties by name, the province
comparison, the drill-down to schools, Excel downloads opened with openpyxl, a phone's width,
and the operators' page.

A small system: every service, the pilot's plan (adopting it sets every work stream's targets),
a 40-student roster and the pilot's 7 pairs (seconds, not the whole demo year of test_dashboard.py).
EDUPLAN_SCREENSHOTS=<dir> writes screenshots of the main pages there (`make screenshots`).
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from contracts.files.county_plan import PILOT_PLAN
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
    """The pilot's plan adopted, a roster of 40 pilot students granted their autumn aid, and
    the 7 pilot pairs."""
    everything = [name for name in SERVICES if name != "projection"]
    sandbox = await create_sandbox(servers.nats_url, servers.database_url)
    try:
        async with running(sandbox, *everything) as up:
            steps = [
                ("county", "adopt", "--plan", str(PILOT_PLAN)),
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
    for table in ("aid-table", "pairs-table", "schools-table"):
        shown = await page.inner_text(f"[data-testid={table}]")
        assert "high_school" not in shown
        assert "placeholder_" not in shown

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


ENGLISH_WORDS = re.compile(r"[A-Za-z]{3,}")


async def test_plan_progress_says_its_figures_in_the_language_asked(
    browser: Browser, small_system: System
) -> None:
    """The server's sentences (what a task reached, what it lacks) are kept as keys and values
    and said in the request's language: Chinese by default, English on request."""
    path = f"/api/plan-progress?county={COUNTY}&judged_on=2017-12-31"
    zh = small_system.get(path, **{"Accept-Language": "zh-CN,zh;q=0.9"})
    en = small_system.get(path, **{"Accept-Language": "en-US,en;q=0.9"})
    asked = small_system.get(f"{path}&lang=en", **{"Accept-Language": "zh-CN"})

    said = [(t["task_id"], t["actual"], t["detail"]) for t in zh["tasks"]]
    said += [(g["id"], g["actual"], "") for g in zh["goals"]]
    assert said
    english = [s for s in said if ENGLISH_WORDS.search(f"{s[1]} {s[2]}")]
    assert english == [], f"English in the Chinese answer: {english}"
    assert [t["status"] for t in zh["tasks"]] == [t["status"] for t in en["tasks"]]
    assert [t["task_id"] for t in zh["tasks"]] == [t["task_id"] for t in en["tasks"]]
    assert all(ENGLISH_WORDS.search(t["actual"]) for t in en["tasks"]), en["tasks"]
    assert [t["actual"] for t in asked["tasks"]] == [t["actual"] for t in en["tasks"]]

    page = await open_page(browser, small_system, f"?county={COUNTY}&judged_on=2017-12-31")
    shown = await page.locator("[data-testid=plan-row] td:nth-child(4)").all_inner_texts()
    assert len(shown) == len(zh["tasks"])
    for task, text in zip(zh["tasks"], shown, strict=True):
        assert task["actual"] in text
        assert not ENGLISH_WORDS.search(text), (task["task_id"], text)
    await page.select_option("[data-testid=control-lang]", "en")
    await page.wait_for_selector("[data-testid=dashboard][data-state=ready][data-lang=en]")
    shown = await page.locator("[data-testid=plan-row] td:nth-child(4)").all_inner_texts()
    for task, text in zip(en["tasks"], shown, strict=True):
        assert task["actual"] in text, "the page asks the server in the language chosen"
    await page.close()


async def test_trends_follow_aid_teachers_and_pairs_across_terms_and_years(
    browser: Browser, small_system: System
) -> None:
    """One row per term from the first term to the chosen one (at most eight), each with the
    figures the reports give for that term, and a point per term on the chart."""
    page = await open_page(browser, small_system, f"?county={COUNTY}&term={TERM}")
    await page.wait_for_selector("#trends[data-state=ready] [data-testid=trends-table]")

    rows = page.locator("[data-testid=trend-row]")
    terms = await rows.evaluate_all("rows => rows.map(r => r.dataset.term)")
    assert terms == ["2016-autumn", "2017-spring", "2017-autumn"]
    assert await rows.locator("th").all_inner_texts() == ["2016年秋季", "2017年春季", "2017年秋季"]
    for term in terms:
        coverage = small_system.get(f"/api/aid-coverage?term={term}&county={COUNTY}")
        teachers = small_system.get(f"/api/staffing/coverage?term={term}&county={COUNTY}")
        row = page.locator(f"[data-testid=trend-row][data-term='{term}']")

        async def value(name: str, row: Any = row) -> str | None:
            return await row.locator(f"[data-field={name}]").get_attribute("data-value")

        assert await value("eligible") == str(sum(r["eligible"] for r in coverage))
        assert await value("aided") == str(sum(r["aided"] for r in coverage))
        assert await value("master_teachers") == str(sum(p["teachers"] for p in teachers))
        granted = sum(float(r["amount_granted"]) for r in coverage)
        assert float(await value("amount_granted") or 0) == pytest.approx(granted)
    autumn = page.locator(f"[data-testid=trend-row][data-term='{TERM}']")
    assert await autumn.locator("[data-field=coverage]").inner_text() == "100.0%"
    pairs = small_system.get(f"/api/pairing/county?county={COUNTY}&on=2017-12-31")
    assert await autumn.locator("[data-field=active_pairs]").inner_text() == str(
        pairs["active_pairs"]
    )
    chart = page.locator("[data-testid=trend-chart]")
    await expect(chart.locator("circle")).to_have_count(len(terms))
    assert "2017年秋季" in (await chart.get_attribute("aria-label") or "")

    await page.select_option("[data-testid=control-term]", "2017-spring")
    await page.wait_for_selector("#trends[data-state=ready] [data-testid=trends-table]")
    await expect(rows).to_have_count(2)
    assert await rows.evaluate_all("rows => rows.map(r => r.dataset.term)") == [
        "2016-autumn",
        "2017-spring",
    ]
    await page.close()


def open_alerts(real: list[dict[str, Any]], extra: int) -> list[dict[str, Any]]:
    """The open alerts the reports gave, and `extra` more of two kinds, as /api/alerts
    answers (the small system raises too few to fill a page)."""
    kinds = ("missing_aid", "subject_without_master_teacher")
    made = [
        {
            "alert_key": f"test/{i:03d}",
            "kind": kinds[i % 3 == 0],
            "task_id": "1.2" if i % 3 else "2.1",
            "county": COUNTY,
            "subject": "zizhou_high_school",
            "detail": f"case {i}",
            "how": "",
            "status": "open",
            "raised_on": f"2017-12-{1 + i % 28:02d}",
            "resolved_on": None,
        }
        for i in range(extra)
    ]
    return real + made


async def test_every_open_alert_is_listed_a_page_at_a_time_and_filtered_by_kind(
    browser: Browser, small_system: System
) -> None:
    """Not the first 20: every open alert is reachable page by page, the count says how many,
    and a kind shows only its alerts, from its first page."""
    real = small_system.get(f"/api/alerts?county={COUNTY}&status=open")
    alerts = open_alerts(real, 47)
    page = await browser.new_page(locale="zh-CN", viewport={"width": 1400, "height": 900})
    page.set_default_timeout(60_000)

    async def answer_alerts(route: Any) -> None:
        await route.fulfill(json=alerts, headers={"content-type": "application/json"})

    await page.route(re.compile(r"/api/alerts\?"), answer_alerts)
    await log_in(page, small_system.reporting_url, small_system.user, small_system.password)
    await page.goto(f"{small_system.reporting_url}/?county={COUNTY}&term={TERM}")
    await page.wait_for_selector("[data-testid=dashboard][data-state=ready]")
    await page.wait_for_selector("#alerts[data-state=ready] [data-testid=alerts-table]")

    assert await page.inner_text("[data-testid=alerts-count]") == str(len(alerts))
    pages = -(-len(alerts) // 20)
    seen: list[str] = []
    for number in range(1, pages + 1):
        shown_page = (await page.inner_text("[data-testid=alerts-page]")).strip()
        assert shown_page == f"第 {number} / {pages} 页"
        shown = page.locator("[data-testid=alert-row]")
        assert await shown.count() == min(20, len(alerts) - 20 * (number - 1))
        seen += [t.strip() for t in await shown.locator(".sub").all_inner_texts()]
        previous = page.locator("[data-testid=alerts-previous]")
        assert await previous.is_disabled() == (number == 1)
        if number < pages:
            await page.click("[data-testid=alerts-next]")
    assert await page.locator("[data-testid=alerts-next]").is_disabled()
    details = [s for s in seen if s.startswith("case ")]
    assert sorted(details) == sorted(a["detail"] for a in alerts if a["detail"].startswith("case "))

    wanted = "subject_without_master_teacher"
    await page.select_option("[data-testid=alerts-kind]", wanted)
    of_kind = [a for a in alerts if a["kind"] == wanted]
    kinds = await page.locator("[data-testid=alert-row]").evaluate_all(
        "rows => rows.map(r => r.dataset.kind)"
    )
    assert kinds == [wanted] * min(20, len(of_kind))
    first = (await page.inner_text("[data-testid=alerts-page]")).strip()
    assert first == f"第 1 / {-(-len(of_kind) // 20)} 页"
    caption = await page.inner_text("[data-testid=alerts-table] caption")
    assert f"({len(of_kind)})" in caption
    await page.select_option("[data-testid=alerts-kind]", "")
    await expect(page.locator("[data-testid=alert-row]")).to_have_count(20)
    await page.close()


async def test_the_print_layout_hides_the_controls_and_keeps_tables_whole(
    browser: Browser, small_system: System
) -> None:
    """Printed for the leadership (print media emulated through the DevTools protocol): no
    controls, downloads, pagers or log-out; every table as wide as the page allows, nothing cut
    off in a scrolling box; a card not split across pages."""
    page = await open_page(browser, small_system, f"?county={COUNTY}&term={TERM}", width=794)
    hidden = (
        "#controls",
        "[data-testid=control-lang]",
        "[data-testid=print]",
        "[data-testid=logout]",
        ".downloads",
        "[data-testid=alerts-pager]",
    )
    for selector in hidden:
        if await page.locator(selector).count():
            await expect(page.locator(selector).first).to_be_visible()
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Emulation.setEmulatedMedia", {"media": "print"})
    assert await page.evaluate("matchMedia('print').matches")

    for selector in hidden:
        for node in await page.locator(selector).all():
            await expect(node).to_be_hidden()
    cut = await page.evaluate(
        """() => [...document.querySelectorAll("table")].filter((table) => {
            const box = table.getBoundingClientRect();
            if (!box.width) return false;
            for (let up = table.parentElement; up; up = up.parentElement) {
              const style = getComputedStyle(up);
              const clips = /(auto|scroll|hidden)/.test(style.overflowX + style.overflowY);
              if (clips && (up.scrollWidth > up.clientWidth + 1 ||
                            up.scrollHeight > up.clientHeight + 1)) return true;
            }
            return box.right > document.documentElement.clientWidth + 1;
          }).map((table) => table.dataset.testid || table.id)"""
    )
    assert cut == [], f"tables cut off in print: {cut}"
    cards = await page.locator(".card").evaluate_all(
        "cards => cards.map(c => getComputedStyle(c).breakInside)"
    )
    assert cards
    assert set(cards) == {"avoid"}
    pdf = await page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/print.png", full_page=True)
    await page.close()
