"""A refusal is said in the reader's language: the service answers with the catalogue key and
its values beside the English message, and the CLI (or any edge) says it in Chinese or
English; ids inside are named in that language."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from datetime import date
from uuid import uuid4

import pytest

from contracts.assistance.commands import AnswerPublicFunds, GrantTermAid
from contracts.assistance.types import FundsDecision
from contracts.envelope import CommandReply, CommandRequest, Rejected
from contracts.subjects import command_subject
from shared import i18n
from shared.commandbus import CommandClient, new_command
from shared.service import ServiceRuntime
from shared.testing import Sandbox
from tests.support.builders import register_student

pytestmark = pytest.mark.integration

ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


def unanswerable(request_id: str = "2017-0042") -> AnswerPublicFunds:
    return AnswerPublicFunds(
        request_id=request_id,
        county="610831",
        decision=FundsDecision.DECLINED,
        approved_amount=0,
        answered_on=date(2017, 12, 1),
    )


async def test_a_refusal_reads_chinese_in_chinese_and_english_in_english(
    assistance: ServiceRuntime, client: CommandClient
) -> None:
    (result,) = await client.send([new_command(unanswerable(), department="finance")])

    assert isinstance(result, Rejected)
    assert result.code == "not_requested"
    assert result.message == "no request 2017-0042 in 610831", "old clients read the same text"
    chinese = i18n.refusal(result, "zh")
    assert "子洲县" in chinese
    assert "2017-0042" in chinese
    assert not ENGLISH_WORD.search(chinese), chinese
    english = i18n.refusal(result, "en")
    assert english == "no request 2017-0042 in Zizhou County"


async def test_the_platform_s_own_refusals_name_departments_in_the_reader_s_language(
    assistance: ServiceRuntime, client: CommandClient
) -> None:
    (result,) = await client.send([new_command(register_student(), department="finance")])

    assert isinstance(result, Rejected)
    assert result.code == "not_permitted"
    assert "finance may not issue RegisterStudent" in result.message
    chinese = i18n.refusal(result, "zh")
    assert "财务" in chinese
    assert "资助中心" in chinese
    assert "finance" not in chinese
    assert "Aid Center" in i18n.refusal(result, "en")


async def test_the_command_bus_s_own_refusals_read_chinese_through_nats(
    assistance: ServiceRuntime, client: CommandClient
) -> None:
    subject = command_subject(
        "assistance", "RegisterStudent", client.sender("aid_center"), client.namespace
    )
    misplaced = new_command(GrantTermAid(student_id=uuid4(), term="2017-autumn"),
                            department="aid_center")  # fmt: skip
    body = CommandRequest(commands=[misplaced]).model_dump_json().encode()
    reply = await client.nc.request(subject, body, timeout=10)
    (wrong,) = CommandReply.model_validate_json(reply.data).results

    assert isinstance(wrong, Rejected)
    assert wrong.code == "wrong_subject"
    assert i18n.refusal(wrong, "zh") == "GrantTermAid 命令发到了 register_student 的主题上"
    assert i18n.refusal(wrong, "en") == wrong.message

    unreadable = await client.nc.request(subject, b'{"commands": "nope"}', timeout=10)
    (whole,) = CommandReply.model_validate_json(unreadable.data).results
    assert isinstance(whole, Rejected)
    assert i18n.refusal(whole, "zh") == "请求无法读取：命令列表：应为列表"

    command = new_command(register_student(), department="aid_center")
    payload = {k: v for k, v in command.payload.items() if k != "county"} | {"school": ""}
    (invalid,) = await client.send([command.model_copy(update={"payload": payload})])

    assert isinstance(invalid, Rejected)
    assert invalid.code == "invalid_command"
    assert i18n.refusal(invalid, "zh") == "命令无效：县区：必填；学校：至少 1 个字符"
    assert i18n.refusal(invalid, "en") == "County: required; School: at least 1 characters"
    assert invalid.message == "county: required; school: at least 1 characters"


def test_a_reply_of_an_older_service_is_said_as_its_message() -> None:
    old = Rejected(command_id=None, code="conflict", message="stream s kept changing")

    assert i18n.refusal(old, "zh") == "stream s kept changing"


async def test_the_command_line_says_a_refusal_in_the_language_asked(
    assistance: ServiceRuntime, sandbox: Sandbox
) -> None:
    def eduplan(*extra: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in sandbox.env().items() if k != "EDUPLAN_LANG"}
        return subprocess.run(
            [sys.executable, "-m", "services.cli.main", "funds", "answer",
             "--request-id", "2017-0043", "--county", "610831", "--decision", "declined",
             "--amount", "0", "--on", "2017-12-01", *extra],
            env=env | {"EDUPLAN_REPORT_WAIT": "0"},
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    chinese = await asyncio.to_thread(eduplan)
    assert chinese.returncode == 1, chinese.stderr
    assert "子洲县" in chinese.stderr
    assert "not_requested" in chinese.stderr, "the code stays as it is"
    said = chinese.stderr.replace("not_requested", "")
    assert not ENGLISH_WORD.search(said), chinese.stderr

    english = await asyncio.to_thread(eduplan, "--lang", "en")
    assert english.returncode == 1
    assert "rejected (not_requested): no request 2017-0043 in Zizhou County" in english.stderr
