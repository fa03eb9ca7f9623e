"""A refusal is said in the reader's language: the service answers with the catalogue key and
its values beside the English message, and the CLI (or any edge) says it in Chinese or
English; ids inside are named in that language."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from datetime import date

import pytest

from contracts.assistance.commands import AnswerPublicFunds
from contracts.assistance.types import FundsDecision
from contracts.envelope import Rejected
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
