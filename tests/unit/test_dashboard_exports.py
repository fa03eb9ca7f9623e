"""The dashboard's own routes without a database: the catalogue per language, the county
picker's list, and a shown table as Excel (numbers stay numbers, ¥ formatted) or CSV."""

from __future__ import annotations

import io

import httpx
import pytest
from openpyxl import load_workbook
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.routing import Route

from services.projection.dashboard.exports import Sheet, as_csv, as_xlsx, export
from services.projection.dashboard.pages import catalogue, counties, counties_of

SHEET = {
    "title": "学生资助 · 子洲县 · 2017年秋季",
    "filename": "aid-table",
    "headers": ["学段", "已助人数", "核定金额（元）"],
    "rows": [
        [
            {"text": "高中"},
            {"text": "618", "value": "618"},
            {"text": "¥1,545,000.00", "value": "1545000.00", "money": True},
        ],
        [
            {"text": "=HYPERLINK(1)"},
            {"text": "2,758", "value": "2758"},
            {"text": "¥0.50", "value": "0.5", "money": True},
        ],
    ],
}


async def get(path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    app = Starlette(routes=[Route("/i18n", catalogue)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path, headers=headers or {})


async def test_the_catalogue_is_chinese_unless_asked_or_the_browser_prefers_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("EDUPLAN_LANG", raising=False)
    chinese = (await get("/i18n")).json()
    english = (await get("/i18n", {"accept-language": "en-GB,en;q=0.9"})).json()
    asked = (await get("/i18n?lang=zh", {"accept-language": "en"})).json()

    assert chinese["lang"] == "zh"
    assert chinese["messages"]["stage"]["high_school"] == "高中"
    assert english["lang"] == "en"
    assert english["messages"]["ui"]["plan_title"] == "Plan progress"
    assert asked["lang"] == "zh"


def test_the_county_picker_names_counties_and_marks_those_with_a_plan() -> None:
    listed = {c["code"]: c for c in counties(frozenset({"610831"}))}

    assert listed["610831"] == {
        "code": "610831",
        "name_zh": "子洲县",
        "name_en": "Zizhou County",
        "has_plan": True,
    }
    assert listed["610802"]["name_zh"] == "榆阳区"
    assert not listed["610802"]["has_plan"]
    assert "610000" not in listed, "the province is not a county"
    own = counties_of(list(listed.values()), ("610831", "619999"))
    assert [c["name_zh"] for c in own] == ["子洲县", "619999"]


def test_excel_keeps_chinese_headers_numbers_as_numbers_and_yuan_formats() -> None:
    book = load_workbook(io.BytesIO(as_xlsx(Sheet.model_validate(SHEET))))
    sheet = book.worksheets[0]

    assert sheet["A1"].value == SHEET["title"]
    assert [c.value for c in sheet[2]] == ["学段", "已助人数", "核定金额（元）"]
    assert [c.value for c in sheet[3]] == ["高中", 618, 1545000.0]
    assert sheet["B3"].number_format == "#,##0"
    assert sheet["C3"].number_format == '"¥"#,##0.00'
    assert sheet["C4"].value == 0.5
    assert sheet["A4"].value == "=HYPERLINK(1)"
    assert sheet["A4"].data_type == "s", "text that looks like a formula stays text"


def test_csv_is_the_text_shown_with_a_bom_and_formulas_neutralised() -> None:
    text = as_csv(Sheet.model_validate(SHEET)).decode("utf-8")

    assert text.startswith("\ufeff学段,已助人数,核定金额（元）\r\n")
    assert '高中,618,"¥1,545,000.00"' in text
    assert "'=HYPERLINK(1)" in text
    download = export(Sheet.model_validate({**SHEET, "format": "csv"}))
    assert download.filename == "aid-table.csv"


def test_a_bad_table_is_refused_whole() -> None:
    with pytest.raises(ValidationError):
        Sheet.model_validate({**SHEET, "filename": "../etc/passwd"})
    with pytest.raises(ValidationError):
        Sheet.model_validate({**SHEET, "headers": []})
