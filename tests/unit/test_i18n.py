"""The catalogue: every id a person sees has a Chinese and an English name; the language is
chosen as documented; money, numbers and dates read as a county office writes them."""

from __future__ import annotations

import ast
import re
import tomllib
from datetime import date
from enum import StrEnum
from pathlib import Path

import pytest
import yaml

from contracts.alerts.events import AlertKind
from contracts.envelope import Rejected
from contracts.evaluation.types import Indicator
from contracts.pairing.types import Subject
from contracts.sentence import Sentence
from contracts.types import Stage
from shared import i18n, reporting_client
from shared.decider import Rejection

ROOT = Path(__file__).parents[2]


def ids(enum: type[StrEnum]) -> list[str]:
    return [member.value for member in enum]


def test_both_languages_have_the_same_entries_and_none_is_empty() -> None:
    zh, en = i18n.entries("zh"), i18n.entries("en")

    assert {c: set(t) for c, t in zh.items()} == {c: set(t) for c, t in en.items()}
    assert all(text.strip() for table in (zh, en) for t in table.values() for text in t.values())


@pytest.mark.parametrize(
    ("context", "values"),
    [
        ("stage", ids(Stage)),
        ("alert_kind", ids(AlertKind)),
        ("subject", ids(Subject)),
        ("indicator", ids(Indicator)),
        (
            "programme",
            [
                p["id"]
                for p in tomllib.loads(
                    (ROOT / "contracts/files/examples/aid_catalogue.toml").read_text()
                )["programme"]
            ],
        ),
        (
            "unit",
            list(
                yaml.safe_load((ROOT / "contracts/files/examples/county_plan.yaml").read_text())[
                    "units"
                ]
            ),
        ),
        (
            "school",
            [
                pair[side]
                for pair in tomllib.loads(
                    (ROOT / "contracts/files/examples/pilot_pairs.toml").read_text()
                )["pair"]
                for side in ("helped_school_id", "helper_school_id")
            ],
        ),
    ],
)
def test_every_id_of_the_contracts_and_data_has_a_name_in_both_languages(
    context: str, values: list[str]
) -> None:
    for lang in i18n.LANGUAGES:
        missing = [v for v in values if v not in i18n.entries(lang).get(context, {})]
        assert missing == [], f"{lang}: no {context} name for {missing}"


def test_the_plan_s_units_and_schools_are_named_as_the_plan_names_them() -> None:
    plan = yaml.safe_load((ROOT / "contracts/files/examples/county_plan.yaml").read_text())
    assert {u: i18n.label("unit", u, "zh") for u in plan["units"]} == plan["units"]
    pairs = tomllib.loads((ROOT / "contracts/files/examples/pilot_pairs.toml").read_text())["pair"]
    for pair in pairs:
        for side in ("helped", "helper"):
            name = i18n.label("school", pair[f"{side}_school_id"], "zh")
            assert name == pair[f"{side}_school_name"]


def test_labels_speak_the_language_asked_and_show_an_unknown_id_as_words() -> None:
    assert i18n.label("programme", "hs_tuition_waiver", "zh") == "普通高中免学费"
    assert i18n.label("programme", "hs_tuition_waiver", "en") == "High-school tuition waiver"
    assert i18n.label("county", "610831", "zh") == "子洲县"
    assert i18n.label("stage", "a_new_stage", "zh") == "a new stage"
    assert i18n.label("stage", None, "zh") == ""


@pytest.mark.parametrize(
    ("asked", "accept", "env", "expected"),
    [
        (None, None, None, "zh"),
        ("en", "zh-CN", "zh", "en"),
        (None, "en-US,en;q=0.9", "zh", "en"),
        (None, "fr-FR, en;q=0.3, zh-CN;q=0.8", None, "zh"),
        (None, "fr", "en", "en"),
        ("de", None, None, "zh"),
        (None, "en;q=0", None, "zh"),
        ("zh_CN", None, "en", "zh"),
    ],
)
def test_the_language_is_asked_then_the_browser_s_then_eduplan_lang_then_chinese(
    monkeypatch: pytest.MonkeyPatch,
    asked: str | None,
    accept: str | None,
    env: str | None,
    expected: str,
) -> None:
    if env is None:
        monkeypatch.delenv("EDUPLAN_LANG", raising=False)
    else:
        monkeypatch.setenv("EDUPLAN_LANG", env)

    assert i18n.language(asked, accept) == expected


def test_money_numbers_dates_and_terms_as_a_county_office_writes_them() -> None:
    assert i18n.money("1234567.5") == "¥1,234,567.50"
    assert i18n.money(-800) == "-¥800.00"
    assert i18n.number(6717) == "6,717"
    assert i18n.number("12345.678") == "12,345.678"
    assert i18n.day("2017-11-20", "zh") == "2017年11月20日"
    assert i18n.day("2017-11-20T08:00:00+08:00", "en") == "2017-11-20"
    assert i18n.term("2017-autumn", "zh") == "2017年秋季"
    assert i18n.term("2018-spring", "en") == "2018 spring"


def test_a_sentence_is_filled_in_in_either_language() -> None:
    zh = i18n.text("cli.aid_coverage_title", "zh", term="2017年秋季", where="子洲县")
    assert zh == "学生资助覆盖情况，2017年秋季，子洲县"
    en = i18n.text("cli.aid_coverage_title", "en", term="2017 autumn", where="Zizhou County")
    assert en == "Aid coverage, 2017 autumn, Zizhou County"


# Sentences the code builds: kept as a key and values, said in the reader's language at the edge

SOURCES = [ROOT / "services", ROOT / "shared"]
PYTHON_KEY = re.compile(r"""\b(?:phrase|text)\(\s*["']((?:ui|cli|progress|error|alert)\.\w+)["']""")
SCRIPT_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+)["']""")


def used_keys() -> set[tuple[str, str]]:
    """Every literal catalogue key of the Python code (`phrase("progress.x")`,
    `i18n.text("cli.y")`) and of the dashboard's scripts (`t("z")`, context `ui`)."""
    keys: set[tuple[str, str]] = set()
    for source in SOURCES:
        for path in source.rglob("*.py"):
            for key in PYTHON_KEY.findall(path.read_text(encoding="utf-8")):
                context, _, msgid = key.partition(".")
                keys.add((context, msgid))
    for script in (ROOT / "services/projection/dashboard/static").glob("*.js"):
        keys |= {("ui", k) for k in SCRIPT_KEY.findall(script.read_text(encoding="utf-8"))}
    return keys


def test_every_sentence_the_code_uses_has_a_chinese_and_an_english_text() -> None:
    keys = used_keys()
    assert any(context == "progress" for context, _ in keys), "the scan finds plan progress"
    assert any(context == "error" for context, _ in keys), "the scan finds the HTTP errors"
    assert any(context == "alert" for context, _ in keys), "the scan finds the alerts' sentences"
    for lang in i18n.LANGUAGES:
        table = i18n.entries(lang)
        missing = sorted(f"{c}.{m}" for c, m in keys if m not in table.get(c, {}))
        assert missing == [], f"{lang}: no text for {missing}"


def test_every_chinese_sentence_takes_the_same_values_as_its_english_one() -> None:
    zh, en = i18n.entries("zh"), i18n.entries("en")
    for context, table in en.items():
        for msgid, english in table.items():
            named = set(re.findall(r"\{(\w+)\}", english))
            assert set(re.findall(r"\{(\w+)\}", zh[context][msgid])) == named, (context, msgid)


def test_a_phrase_is_said_in_the_language_asked_with_its_values_named_there() -> None:
    said = i18n.phrase(
        "progress.posts_lacking",
        posts=i18n.listing(
            [
                i18n.phrase(
                    "progress.post_at_school",
                    subject=i18n.named("subject", "mathematics"),
                    school=i18n.named("school", "zizhou_high_school"),
                )
            ]
        ),
    )
    assert said.render("en").startswith("lacking: ")
    zh = said.render("zh")
    assert "数学" in zh
    assert not re.search(r"[A-Za-z]{3,}", zh), zh
    assert i18n.localized({"rows": [{"actual": said, "n": 1}]}, "en") == {
        "rows": [{"actual": said.render("en"), "n": 1}]
    }
    assert (
        i18n.phrase("progress.managers_seconded", managers=2, day=date(2017, 11, 20))
        .render("zh")
        .count("2017年11月20日")
        == 1
    )


# Refusals: a service keeps each as its English template (the catalogue key) and values

REFUSING = {"Rejection": 1, "once": 3}  # the call, and which argument is the template


def refusal_templates() -> dict[str, str]:
    """Every template a service refuses with (`Rejection(code, "template", **values)`, and
    the helpers that pass one on), with where it is."""
    found: dict[str, str] = {}
    for source in SOURCES:
        for path in source.rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                    continue
                at = REFUSING.get(node.func.id)
                if at is None or len(node.args) <= at:
                    continue
                template = node.args[at]
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                if isinstance(template, ast.Constant) and isinstance(template.value, str):
                    found[template.value] = where
                elif not isinstance(template, ast.Name):  # a helper's parameter, passed on
                    found[f"<not a literal template at {where}>"] = where
    return found


def test_every_refusal_is_a_template_with_a_chinese_and_an_english_text() -> None:
    templates = refusal_templates()
    assert len(templates) > 100, "the scan finds the services' refusals"
    for lang in i18n.LANGUAGES:
        table = i18n.entries(lang).get("rejection", {})
        missing = sorted(f"{w}: {t}" for t, w in templates.items() if t not in table)
        assert missing == [], f"{lang}: no text for {missing}"
    chinese = i18n.entries("zh")["rejection"]
    assert all(re.search(r"[\u4e00-\u9fff]", chinese[t]) for t in templates)


def test_a_refusal_is_said_with_its_ids_named_in_the_language_asked() -> None:
    refused = Rejection(
        "not_permitted",
        "{department} may not issue {command_type} (allowed: {allowed})",
        department=i18n.named("unit", "finance"),
        command_type="RegisterStudent",
        allowed=i18n.listing([i18n.named("unit", "aid_center")]),
    )
    assert refused.message == "finance may not issue RegisterStudent (allowed: aid_center)"
    answer = Rejected(
        command_id=None, code=refused.code, message=refused.message, reason=refused.reason
    )
    assert "资助中心" in i18n.refusal(answer, "zh")
    assert i18n.refusal(answer, "en").startswith("Finance")
    unknown = answer.model_copy(update={"reason": Sentence(key="rejection.a new one")})
    assert i18n.refusal(unknown, "zh") == refused.message


def test_the_freshness_note_is_said_in_the_language_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    header = '{"assistance": {"applied_through": 6718, "behind": 0}}'
    monkeypatch.setenv("EDUPLAN_LANG", "en")
    assert (
        reporting_client.freshness_note(header)
        == "built from assistance through #6,718 (up to date)"
    )
    monkeypatch.setenv("EDUPLAN_LANG", "zh")
    assert (
        reporting_client.freshness_note(header)
        == "报表依据：assistance 截至第 6,718 号事件（已是最新）"
    )
