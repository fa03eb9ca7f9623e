"""The platform's own refusals are said in Chinese or English like a service's: the command
bus's (a request it cannot read, a wrong subject, a database out of reach, a limit), each
invalid field of a command (pydantic's error types as catalogue sentences), staffing's
changes taken back, and the client's own errors. Each reply travels as JSON first, as a
client reads it."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

import pytest
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from contracts.assistance.commands import RegisterStudent
from contracts.envelope import CommandReply, CommandRequest, Rejected
from contracts.pairing.commands import EstablishPair
from contracts.sentence import Reason, Sentence
from contracts.staffing.types import LessonStage
from contracts.subjects import Sender, command_subject, query_subject
from contracts.types import Stage
from services.staffing.assignments import _not_withdrawn, _undone, _withdrawn
from services.staffing.domain.teacher import overlapping
from shared import i18n
from shared.commandbus import CommandEndpoint, Received, _read_query, _unavailable
from shared.decider import Rejection
from shared.eventstore import RecordedEvent
from shared.i18n.problems import OTHER, TEMPLATES, problems
from shared.limits import Limits
from tests.support.builders import register_student
from tests.support.pairing import establish

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
SENDER = Sender("aid_center", "610831", "li_na")


def said(rejected: Rejected) -> tuple[str, str]:
    """The refusal as a client reads it off the wire, in Chinese and in English."""
    read = Rejected.model_validate_json(rejected.model_dump_json())
    return i18n.refusal(read, "zh"), i18n.refusal(read, "en")


def invalid(model: type[BaseModel], payload: dict[str, Any]) -> Rejected:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(payload)
    return Rejection("invalid_command", "{problems}", problems=problems(caught.value)).rejected()


# Each invalid field, by pydantic's error type


def one_field(annotation: Any) -> type[BaseModel]:
    class Command(BaseModel):
        model_config = ConfigDict(extra="forbid")
        value: annotation  # type: ignore[valid-type]

    return Command


class Address(BaseModel):
    county: str


PROBLEMS = [
    ("missing", int, {}, "数值：必填", ": required"),
    ("extra_forbidden", int, {"value": 1, "colour": 2}, "colour：没有这个字段", "no such field"),
    ("string_type", str, {"value": 1}, "应为文本", "text expected"),
    (
        "string_too_short",
        Annotated[str, Field(min_length=3)],
        {"value": "a"},
        "至少 3 个字符",
        "at least 3 characters",
    ),
    (
        "string_too_long",
        Annotated[str, Field(max_length=2)],
        {"value": "abc"},
        "最多 2 个字符",
        "at most 2 characters",
    ),
    (
        "string_pattern_mismatch",
        Annotated[str, Field(pattern=r"^\d{6}$")],
        {"value": "ab"},
        "格式应符合 ^\\d{6}$",
        "does not match ^\\d{6}$",
    ),
    (
        "too_short",
        Annotated[list[int], Field(min_length=1)],
        {"value": []},
        "至少 1 项",
        "at least 1 items",
    ),
    (
        "too_long",
        Annotated[list[int], Field(max_length=1)],
        {"value": [1, 2]},
        "最多 1 项",
        "at most 1 items",
    ),
    ("greater_than", Annotated[int, Field(gt=0)], {"value": 0}, "须大于 0", "greater than 0"),
    ("greater_than_equal", Annotated[int, Field(ge=1)], {"value": 0}, "须不小于 1", "at least 1"),
    ("less_than", Annotated[int, Field(lt=5)], {"value": 5}, "须小于 5", "less than 5"),
    ("less_than_equal", Annotated[int, Field(le=5)], {"value": 6}, "须不大于 5", "at most 5"),
    (
        "multiple_of",
        Annotated[int, Field(multiple_of=5)],
        {"value": 7},
        "须为 5 的倍数",
        "a multiple of 5",
    ),
    (
        "decimal_max_digits",
        Annotated[Decimal, Field(max_digits=3)],
        {"value": "1234"},
        "最多 3 位数字",
        "at most 3 digits",
    ),
    (
        "decimal_max_places",
        Annotated[Decimal, Field(decimal_places=2)],
        {"value": "1.234"},
        "最多 2 位小数",
        "at most 2 decimal places",
    ),
    (
        "literal_error",
        Literal["yes", "no"],
        {"value": "maybe"},
        "应为 yes、no 之一",
        "one of yes, no",
    ),
    ("enum", Stage, {"value": "college"}, "应为 preschool、primary", "one of preschool, primary"),
    ("int_parsing", int, {"value": "x"}, "应为整数", "a whole number expected"),
    ("decimal_parsing", Decimal, {"value": "x"}, "应为数字", "a number expected"),
    ("bool_parsing", bool, {"value": "maybe"}, "应为 true 或 false", "true or false expected"),
    ("date_from_datetime_parsing", date, {"value": "x"}, "应为日期", "a date (YYYY-MM-DD)"),
    ("datetime_parsing", datetime, {"value": "x"}, "应为日期和时间", "a date and time"),
    (
        "timezone_aware",
        AwareDatetime,
        {"value": "2017-09-01T08:00:00"},
        "缺少时区",
        "the time zone is missing",
    ),
    ("uuid_parsing", UUID, {"value": "x"}, "应为 UUID", "a UUID expected"),
    ("list_type", list[int], {"value": 1}, "应为列表", "a list expected"),
    ("model_type", Address, {"value": 1}, "应为对象", "an object expected"),
]


@pytest.mark.parametrize(
    ("kind", "annotation", "payload", "chinese", "english"),
    PROBLEMS,
    ids=[p[0] for p in PROBLEMS],
)
def test_each_kind_of_invalid_field_is_said_in_chinese_and_in_english(
    kind: str, annotation: Any, payload: dict[str, Any], chinese: str, english: str
) -> None:
    rejected = invalid(one_field(annotation), payload)
    zh, en = said(rejected)

    assert kind in TEMPLATES
    assert zh.startswith("命令无效：")
    assert chinese in zh
    assert english in en
    assert english in rejected.message, "older clients read the English message"


def test_every_kind_of_invalid_field_has_a_chinese_and_an_english_text() -> None:
    for lang in i18n.LANGUAGES:
        table = i18n.entries(lang)["rejection"]
        assert all(t in table for t in {*TEMPLATES.values(), OTHER}), lang
    chinese = i18n.entries("zh")["rejection"]
    assert all(CHINESE.search(chinese[t]) for t in TEMPLATES.values())
    assert len({p[0] for p in PROBLEMS}) >= 25, "most kinds are tried above"


class Registration(BaseModel):
    """Fields the catalogue names, one inside another, and a rule of the contract's own."""

    model_config = ConfigDict(extra="forbid")
    grade: Annotated[int, Field(ge=1, le=12)]
    term: str
    personal: list[Address]

    @field_validator("term")
    @classmethod
    def _term(cls, term: str) -> str:
        if not term.endswith(("-autumn", "-spring")):
            raise ValueError("a term looks like 2017-autumn or 2018-spring")
        return term


def test_every_problem_of_a_command_is_said_with_its_field_named_in_the_reader_s_language() -> None:
    rejected = invalid(Registration, {"grade": 0, "term": "2017-summer", "personal": [{}]})
    zh, en = said(rejected)

    assert zh == (
        "命令无效：年级：须不小于 1；学期：a term looks like 2017-autumn or 2018-spring；"
        "个人信息 › 第1项 › 县区：必填"
    ), "a contract's own rule keeps its English words, its field is named"
    assert en == (
        "Grade: must be at least 1; Term: a term looks like 2017-autumn or 2018-spring; "
        "Personal data › item 1 › County: required"
    )
    assert rejected.message == (
        "grade: must be at least 1; term: a term looks like 2017-autumn or 2018-spring; "
        "personal.0.county: required"
    ), "the English message names fields by their ids, as before"


def test_a_reason_without_a_sentence_inside_is_a_sentence_to_older_clients() -> None:
    rejected = overlapping(uuid4(), _booking()).rejected()
    assert isinstance(rejected.reason, Reason)
    Sentence.model_validate_json(rejected.reason.model_dump_json())
    nested = invalid(one_field(int), {})
    assert nested.reason is not None
    with pytest.raises(ValidationError):
        Sentence.model_validate_json(nested.reason.model_dump_json())


def test_a_sentence_inside_that_this_catalogue_lacks_is_said_as_the_english_message() -> None:
    rejected = invalid(one_field(int), {})
    assert rejected.reason is not None
    unknown = Reason(key="rejection.{problems}", values={"problems": [Reason(key="rejection.x")]})

    assert i18n.refusal(rejected.model_copy(update={"reason": unknown}), "zh") == rejected.message


# The command bus's own refusals


class _Processor:
    limits = Limits(request_bytes=2_000, nesting=8)


def endpoint() -> CommandEndpoint:
    return CommandEndpoint("assistance", _Processor())  # type: ignore[arg-type]


async def answered(subject: str, body: bytes) -> Rejected:
    results = CommandReply.model_validate_json(await endpoint().answer(subject, body)).results
    assert all(isinstance(r, Rejected) for r in results)
    refusal = results[0]
    assert isinstance(refusal, Rejected)
    return refusal


def request_of(command_type: str, payload: dict[str, Any] | None = None) -> bytes:
    command = {
        "command_id": str(uuid4()),
        "command_type": command_type,
        "department": "aid_center",
        "correlation_id": str(uuid4()),
        "issued_at": datetime.now(UTC).isoformat(),
        "payload": payload or {},
    }
    return CommandRequest.model_validate({"commands": [command]}).model_dump_json().encode()


SUBJECT = command_subject("assistance", "RegisterStudent", SENDER)


async def test_a_command_on_another_command_s_subject_is_refused_in_either_language() -> None:
    refusal = await answered(SUBJECT, request_of("GrantTermAid"))
    zh, en = said(refusal)

    assert refusal.code == "wrong_subject"
    assert refusal.message == "GrantTermAid was sent on the subject of register_student"
    assert zh == "GrantTermAid 命令发到了 register_student 的主题上"
    assert en == refusal.message


async def test_a_request_that_is_not_a_command_request_is_refused_field_by_field() -> None:
    refusal = await answered(SUBJECT, b'{"commands": "nope", "padding": 1}')
    zh, en = said(refusal)

    assert refusal.code == "invalid_request"
    assert zh == "请求无法读取：命令列表：应为列表；padding：没有这个字段"
    assert en == "the request cannot be read: Commands: a list expected; padding: no such field"
    assert refusal.message.startswith("the request cannot be read: commands: a list expected")


async def test_a_request_that_is_not_json_is_refused_in_either_language() -> None:
    zh, en = said(await answered(SUBJECT, b"{"))

    assert zh == "请求无法读取：请求：不是有效的 JSON"
    assert "not valid JSON" in en


async def test_a_subject_without_a_sender_is_refused_in_either_language() -> None:
    refusal = await answered("commands.assistance.register_student", request_of("RegisterStudent"))
    zh, en = said(refusal)

    assert refusal.code == "invalid_request"
    assert zh.startswith("主题 commands.assistance.register_student 没有写明发送者（应为 commands.")
    assert "does not name its sender" in en


async def test_a_request_above_the_limits_is_refused_in_either_language() -> None:
    too_large = said(await answered(SUBJECT, b'{"p": "' + b"x" * 3_000 + b'"}'))
    too_deep = said(await answered(SUBJECT, b"[" * 9 + b"]" * 9))

    assert too_large == (
        "请求有 3,009 字节，最多只能有 2,000 字节",
        "3,009 bytes; a request has at most 2,000",
    )
    assert too_deep == ("请求最多只能嵌套 8 层", "a request nests at most 8 levels")


def test_a_service_without_its_database_says_so_in_either_language() -> None:
    refusal = _unavailable("assistance", ConnectionRefusedError("connection refused"))
    zh, en = said(refusal)

    assert refusal.code == "unavailable"
    assert zh == "学生资助服务无法连接数据库（connection refused），未做任何处理"
    assert en == (
        "the student assistance service cannot reach its database (connection refused); "
        "nothing was done"
    )
    assert refusal.message == (
        "the assistance service cannot reach its database (connection refused); nothing was done"
    )


class CountyAsked(BaseModel):
    county: str


def test_a_query_refused_by_the_bus_is_said_in_either_language() -> None:
    subject = query_subject("assistance", "CountyAsked", SENDER)

    def refused(body: bytes, asked_on: str = subject) -> tuple[str, str]:
        read = _read_query(CountyAsked, Received(asked_on, body), Limits(), "")
        assert isinstance(read, Rejection)
        return said(read.rejected())

    assert refused(b'{"county": "610802"}') == (
        "li_na 代表子洲县查询，不能查询榆阳区",
        "li_na acts for Zizhou County, not Yuyang District",
    )
    assert refused(b"{}") == (
        "查询无法读取：县区：必填",
        "the query cannot be read: County: required",
    )
    assert refused(b"{}", "queries.x")[0].startswith("主题 queries.x 没有写明发送者")


# Staffing: a change the post admitted and the calendar refused is taken back


def _booking() -> Any:
    from services.staffing.domain.teacher import Booking  # noqa: PLC0415

    return Booking(("610831", "zizhou_high_school", "mathematics"), "2017-autumn", "2018-spring")


def test_a_dispatch_taken_back_is_said_with_its_cause_in_either_language() -> None:
    cause = overlapping(UUID(int=7), _booking()).rejected()
    zh, en = said(_withdrawn(cause.code, i18n.spoken(cause.reason)).rejected())  # type: ignore[arg-type]

    assert zh.endswith("；岗位曾接受该变动，现已撤回")
    assert "子洲中学" in zh or "数学" in zh
    assert en.endswith("; the post had admitted the change, it was withdrawn")
    assert "Mathematics" in en


def test_a_withdrawal_that_failed_too_is_said_in_either_language() -> None:
    cause = overlapping(UUID(int=7), _booking()).rejected()
    failure = Rejection("conflict", "stream {stream_id} kept changing; {attempts} attempts failed",
                        stream_id="post-1", attempts=5).rejected()  # fmt: skip
    taken = _not_withdrawn(cause.code, i18n.spoken(cause.reason), i18n.spoken(failure.reason))  # type: ignore[arg-type]
    zh, en = said(taken.rejected())

    assert "；岗位曾接受该变动，撤回失败：" in zh
    assert not ENGLISH_WORD.search(zh.replace("post-1", "")), zh
    assert "withdrawing it failed: stream post-1 kept changing; 5 attempts failed" in en


TAKEN_BACK = "the post had admitted the change, it was withdrawn"


def test_a_repeated_dispatch_that_was_taken_back_gets_the_same_sentence() -> None:
    command_id = uuid4()
    withdrawal = RecordedEvent(
        position=2, event_id=uuid4(), stream_id="post", stream_type="post", version=2,
        event_type="MasterTeacherDispatchWithdrawn", schema_version=1, county="610831",
        data={"reason": "overlapping_assignment: teacher t already serves mathematics"},
        metadata={"causation_id": str(command_id)}, recorded_at=datetime.now(UTC),
    )  # fmt: skip
    envelope = CommandRequest.model_validate_json(request_of("DispatchMasterTeacher")).commands[0]
    undone = _undone([withdrawal], envelope.model_copy(update={"command_id": command_id}))

    assert undone is not None
    assert undone.code == "overlapping_assignment"
    zh, en = said(undone)
    assert zh == "teacher t already serves mathematics；岗位曾接受该变动，现已撤回"
    assert en == "teacher t already serves mathematics; " + TAKEN_BACK

    cause = overlapping(UUID(int=7), _booking()).reason
    kept = Sentence.model_validate(cause.model_dump())
    said_too = replace(withdrawal, data={**withdrawal.data, "reason_said": kept.model_dump()})
    again = _undone([said_too], envelope.model_copy(update={"command_id": command_id}))
    assert again is not None
    zh, en = said(again)
    assert zh.endswith("；岗位曾接受该变动，现已撤回")
    assert "数学" in zh, "the event keeps the calendar's sentence: said in Chinese"
    assert "Mathematics" in en


# The client's own errors and the command line's words for them


@pytest.mark.parametrize(
    ("key", "values", "chinese", "english"),
    [
        ("error.request_refused", {"reasons": "x"}, "请求整体被拒绝", "refused as a whole"),
        ("error.subject_refused", {"subject": "s"}, "NATS 服务器拒绝了 s", "NATS server refused s"),
        (
            "error.no_responders",
            {"service": "s", "subject": "t"},
            "服务是否在运行",
            "is it running?",
        ),
        ("error.no_answer", {"service": "s", "seconds": 30}, "30 秒内没有应答", "within 30 s"),
    ],
)
def test_the_client_s_errors_are_said_in_either_language(
    key: str, values: dict[str, object], chinese: str, english: str
) -> None:
    assert chinese in i18n.text(key, "zh", **values)
    assert english in i18n.text(key, "en", **values)


def test_the_command_line_starts_an_error_or_a_refusal_in_the_reader_s_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert i18n.prefix("error", "zh") == "错误："
    assert i18n.prefix("refused", "zh") == "被拒绝："
    assert i18n.prefix("error", "en") == "error: "
    assert i18n.prefix("refused", "en") == "refused: "
    monkeypatch.delenv("EDUPLAN_LANG", raising=False)
    assert i18n.prefix("error") == "错误：", "Chinese by default"


# A report's reason for a student without aid


def test_why_a_student_has_no_aid_is_said_in_either_language() -> None:
    from services.projection.read_models.assistance.reports import _why_missing  # noqa: PLC0415

    not_assessed = _why_missing({"assessed": False}, "2017-autumn")  # type: ignore[arg-type]
    assessed = {
        "assessed": True,
        "assessed_reason": "no programme in force ...",
        "assessed_county": "610831",
        "assessed_stage": "junior",
        "assessed_grade": 8,
        "assessed_boarding": False,
    }
    uncovered = _why_missing(assessed, "2017-autumn")  # type: ignore[arg-type]

    assert i18n.localized(not_assessed, "zh") == "2017年秋季尚未评定：还没有资助批次包含该生"
    assert i18n.localized(not_assessed, "en") == (
        "not assessed for 2017 autumn: no grant run has included the student yet"
    )
    assert (
        i18n.localized(uncovered, "zh") == "2017年秋季没有适用于子洲县初中8年级非寄宿学生的资助项目"
    )
    assert i18n.localized(uncovered, "en") == (
        "no programme in force for 2017 autumn covers Junior secondary grade 8, not boarding, "
        "in Zizhou County"
    )


# A contract's own rules (`contracts.rules.RuleBroken`)

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


def rule_templates() -> dict[str, str]:
    """Every template a contract's validator raises, with where it is."""
    found: dict[str, str] = {}
    for path in CONTRACTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "RuleBroken":
                template = node.args[0]
                where = f"{path.name}:{node.lineno}"
                assert isinstance(template, ast.Constant), f"not a literal template at {where}"
                found[template.value] = where
    return found


def test_every_rule_of_the_contracts_has_a_chinese_and_an_english_text() -> None:
    templates = rule_templates()
    assert len(templates) > 30, "the scan finds the contracts' rules"
    for lang in i18n.LANGUAGES:
        table = i18n.entries(lang)["rejection"]
        missing = sorted(f"{w}: {t}" for t, w in templates.items() if t not in table)
        assert missing == [], f"{lang}: no text for {missing}"
    chinese = i18n.entries("zh")["rejection"]
    assert all(CHINESE.search(chinese[t]) for t in templates)


def test_a_contract_s_own_rule_is_said_in_either_language() -> None:
    student = register_student().model_dump(mode="json")
    rejected = invalid(RegisterStudent, {**student, "stage": "junior", "grade": 5})
    zh, en = said(rejected)

    assert zh == "命令无效：年级：初中只有 1–3 年级"
    assert en == "Grade: Junior secondary has grades 1-3 only"
    assert rejected.message == "grade: junior has grades 1-3 only", "as before"

    pair = establish().model_dump(mode="json")
    same = invalid(EstablishPair, {**pair, "helper_school_id": pair["helped_school_id"]})
    assert said(same) == (
        "命令无效：命令：学校不能帮扶自己",
        "Command: a school cannot help itself",
    )


def test_a_rule_s_stages_are_listed_in_the_reader_s_language() -> None:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(LessonStage).validate_python("undergraduate")

    assert (
        problems(caught.value).render("zh")
        == "命令：示范课只在基础教育阶段开设：学前、小学、初中、高中、中职"
    )
