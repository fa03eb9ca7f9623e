"""University coordination and per-student public funds: given these events, when this command,
then these events (or a refusal).

Each autumn the roster of registered poor students goes to each university once; universities
report back, maybe late, maybe more than once. The county asks the city for per-student public
funds (students x rate) and records the city's answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel, ValidationError

from contracts.assistance.commands import (
    AnswerPublicFunds,
    DispatchUniversityRoster,
    RecordUniversityAidReport,
    RequestPublicFunds,
    UniversityAidEntry,
)
from contracts.assistance.events import (
    PublicFundsAnswered,
    PublicFundsRequested,
    UniversityAidReported,
    UniversityRosterDispatched,
)
from contracts.assistance.types import FundsDecision, UniversityChannel
from services.assistance.domain import funds, university
from shared.decider import Rejection

LI = UUID("28d38190-6eaf-46af-8f51-15d2cc26082c")
WANG = UUID("5b7c1d0e-3f2a-4e6b-9c8d-7a1b2c3d4e5f")
ZHANG = UUID("9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b")
STRANGER = UUID("00000000-0000-4000-8000-000000000001")
NWU = "西北大学"
DUE = date(2017, 11, 30)


def refused(decide: Any, state: Any, command: BaseModel) -> Rejection:
    with pytest.raises(Rejection) as refusal:
        decide(state, command)
    assert refusal.value.message, "a refusal explains itself"
    return refusal.value


# University roster dispatch --------------------------------------------------------------------


def dispatch(
    students: Sequence[UUID] = (LI, WANG),
    dispatched_on: date = date(2017, 9, 20),
    university_name: str = NWU,
    school_year: int = 2017,
) -> DispatchUniversityRoster:
    return DispatchUniversityRoster(
        county="610831",
        university=university_name,
        school_year=school_year,
        student_ids=list(students),
        dispatched_on=dispatched_on,
        report_due_on=DUE,
    )


def aid(
    student: UUID = LI,
    channel: UniversityChannel = UniversityChannel.NATIONAL_GRANT,
    amount: str = "3000.00",
    tier: int | None = 2,
) -> UniversityAidEntry:
    return UniversityAidEntry(
        student_id=student, channel=channel, amount=Decimal(amount), tier=tier
    )


def report(received_on: date, *entries: UniversityAidEntry) -> RecordUniversityAidReport:
    return RecordUniversityAidReport(
        county="610831",
        university=NWU,
        school_year=2017,
        received_on=received_on,
        entries=list(entries),
    )


def dispatched(given: Sequence[BaseModel]) -> university.Dispatch:
    return university.DISPATCH.fold(given)


def sent(command: DispatchUniversityRoster | None = None) -> UniversityRosterDispatched:
    return UniversityRosterDispatched(**(command or dispatch()).model_dump())


def test_the_roster_is_dispatched_to_a_university_for_a_school_year() -> None:
    then = university.dispatch(dispatched([]), dispatch((LI, WANG)))

    assert then == [
        UniversityRosterDispatched(
            county="610831",
            university=NWU,
            school_year=2017,
            student_ids=[LI, WANG],
            dispatched_on=date(2017, 9, 20),
            report_due_on=DUE,
        )
    ]
    after = dispatched(then)
    assert (after.county, after.students, after.due, after.reports) == (
        "610831",
        frozenset({LI, WANG}),
        DUE,
        0,
    )


def test_each_university_and_school_year_has_its_own_dispatch() -> None:
    assert university.dispatch_stream("610831", 2017, NWU) == "610831/2017/西北大学"
    assert university.dispatch_stream("610831", 2018, NWU) != university.dispatch_stream(
        "610831", 2017, NWU
    )
    assert university.DISPATCH.county(dispatched([sent()])) == "610831"


def test_sending_the_same_roster_again_records_nothing() -> None:
    assert university.dispatch(dispatched([sent()]), dispatch()) == []


def test_the_same_students_in_another_order_are_the_same_roster() -> None:
    assert university.dispatch(dispatched([sent()]), dispatch((WANG, LI))) == []


@pytest.mark.parametrize(
    "other",
    [
        dispatch((LI, WANG, ZHANG)),
        dispatch((LI,)),
        dispatch(dispatched_on=date(2017, 9, 21)),
    ],
    ids=["more students", "fewer students", "another day"],
)
def test_a_second_different_roster_for_the_year_is_refused(
    other: DispatchUniversityRoster,
) -> None:
    refusal = refused(university.dispatch, dispatched([sent()]), other)

    assert refusal.code == "already_dispatched"
    assert NWU in refusal.message
    assert "2017-09-20" in refusal.message


def test_a_report_before_any_dispatch_is_refused() -> None:
    refusal = refused(university.report, dispatched([]), report(date(2017, 11, 1), aid()))

    assert refusal.code == "not_dispatched"
    assert NWU in refusal.message


def test_a_report_received_by_the_due_date_is_recorded_on_time() -> None:
    entries = (
        aid(LI, UniversityChannel.NATIONAL_GRANT, "3000.00", tier=2),
        aid(LI, UniversityChannel.GREEN_CHANNEL, "0.00", tier=None),
        aid(WANG, UniversityChannel.UNIVERSITY_GRANT, "2500.00", tier=None),
    )

    then = university.report(dispatched([sent()]), report(DUE, *entries))

    assert then == [
        UniversityAidReported(
            county="610831",
            university=NWU,
            school_year=2017,
            report_no=1,
            received_on=DUE,
            late=False,
            entries=list(entries),
        )
    ]


def test_a_report_received_after_the_due_date_is_late() -> None:
    (then,) = university.report(dispatched([sent()]), report(date(2017, 12, 1), aid()))

    assert then.late is True


def test_a_report_that_no_aid_was_given_is_still_a_report() -> None:
    (then,) = university.report(dispatched([sent()]), report(date(2017, 11, 2)))

    assert (then.entries, then.report_no) == ([], 1)


def test_each_further_report_counts_up() -> None:
    given: list[BaseModel] = [sent()]
    given += university.report(dispatched(given), report(date(2017, 11, 2), aid(LI)))
    given += university.report(dispatched(given), report(date(2017, 12, 15), aid(WANG)))

    (third,) = university.report(dispatched(given), report(date(2018, 1, 5), aid(LI)))

    assert [e.report_no for e in given if isinstance(e, UniversityAidReported)] == [1, 2]
    assert (third.report_no, third.late) == (3, True)
    assert dispatched(given).reports == 2


def test_a_report_about_students_not_dispatched_is_refused_naming_them() -> None:
    command = report(DUE, aid(LI), aid(STRANGER), aid(ZHANG))

    refusal = refused(university.report, dispatched([sent()]), command)

    assert refusal.code == "not_in_dispatch"
    assert refusal.message.startswith("2 student(s) were not dispatched")
    assert str(STRANGER) in refusal.message
    assert str(ZHANG) in refusal.message
    assert str(LI) not in refusal.message


def test_a_long_list_of_strangers_is_cut_short() -> None:
    strangers = [UUID(int=n) for n in range(1, 8)]
    command = report(DUE, *(aid(s) for s in strangers))

    refusal = refused(university.report, dispatched([sent()]), command)

    assert refusal.message.startswith("7 student(s) were not dispatched")
    assert refusal.message.endswith(" ...")
    assert sum(str(s) in refusal.message for s in strangers) == 5


# Per-student public funds ----------------------------------------------------------------------


def funds_request(
    students: int = 2758,
    rate: str = "150.00",
    requested: str | None = None,
    **changes: Any,
) -> RequestPublicFunds:
    amount = requested or str(students * Decimal(rate))
    fields: dict[str, Any] = {
        "request_id": "ZZJY-2017-031",
        "county": "610831",
        "school_year": 2017,
        "students": students,
        "rate_per_student": rate,
        "requested_amount": amount,
        "requested_on": date(2017, 10, 9),
    }
    return RequestPublicFunds.model_validate({**fields, **changes})


def city_answer(
    decision: FundsDecision, approved: str, note: str = "", request_id: str = "ZZJY-2017-031"
) -> AnswerPublicFunds:
    return AnswerPublicFunds(
        request_id=request_id,
        county="610831",
        decision=decision,
        approved_amount=Decimal(approved),
        answered_on=date(2017, 12, 20),
        note=note,
    )


REQUESTED = "413700.00"  # 2,758 compulsory boarders x 150.00


def request_state(*given: BaseModel) -> funds.FundsRequest:
    return funds.FUNDS.fold(given)


def asked() -> PublicFundsRequested:
    return PublicFundsRequested(**funds_request().model_dump())


def test_the_requested_amount_is_students_times_the_rate() -> None:
    assert funds_request().requested_amount == Decimal(REQUESTED)

    with pytest.raises(ValidationError, match="is not students x rate"):
        funds_request(requested="413700.01")


def test_the_county_asks_the_city_for_per_student_public_funds() -> None:
    then = funds.request(request_state(), funds_request())

    assert then == [
        PublicFundsRequested(
            request_id="ZZJY-2017-031",
            county="610831",
            school_year=2017,
            students=2758,
            rate_per_student=Decimal("150.00"),
            requested_amount=Decimal(REQUESTED),
            requested_on=date(2017, 10, 9),
            addressed_to="榆林市",
        )
    ]
    assert funds.funds_stream("610831", "ZZJY-2017-031") == "610831/ZZJY-2017-031"
    assert funds.FUNDS.county(request_state(*then)) == "610831"


def test_the_same_request_again_records_nothing() -> None:
    assert funds.request(request_state(asked()), funds_request()) == []


@pytest.mark.parametrize(
    "other",
    [
        funds_request(students=2760),
        funds_request(rate="160.00"),
        funds_request(requested_on="2017-10-10"),
        funds_request(addressed_to="陕西省财政厅"),
    ],
    ids=["students", "rate", "date", "addressee"],
)
def test_the_same_request_number_with_other_figures_is_refused(other: RequestPublicFunds) -> None:
    refusal = refused(funds.request, request_state(asked()), other)

    assert refusal.code == "already_requested"
    assert "ZZJY-2017-031" in refusal.message


def test_an_answer_to_no_request_is_refused() -> None:
    answer = city_answer(FundsDecision.APPROVED, REQUESTED)

    assert refused(funds.answer, request_state(), answer).code == "not_requested"


@pytest.mark.parametrize(
    ("decision", "approved"),
    [
        (FundsDecision.APPROVED, REQUESTED),
        (FundsDecision.PARTLY_APPROVED, "300000.00"),
        (FundsDecision.PARTLY_APPROVED, "0.01"),
        (FundsDecision.PARTLY_APPROVED, "413699.99"),
        (FundsDecision.DECLINED, "0.00"),
    ],
)
def test_the_citys_answer_is_recorded_when_the_amount_fits_the_decision(
    decision: FundsDecision, approved: str
) -> None:
    answer = city_answer(decision, approved, note="2018 budget")

    then = funds.answer(request_state(asked()), answer)

    assert then == [
        PublicFundsAnswered(
            request_id="ZZJY-2017-031",
            county="610831",
            decision=decision,
            approved_amount=Decimal(approved),
            answered_on=date(2017, 12, 20),
            note="2018 budget",
        )
    ]


@pytest.mark.parametrize(
    ("decision", "approved"),
    [
        (FundsDecision.APPROVED, "413699.99"),
        (FundsDecision.APPROVED, "413700.01"),
        (FundsDecision.APPROVED, "0.00"),
        (FundsDecision.PARTLY_APPROVED, "0.00"),
        (FundsDecision.PARTLY_APPROVED, REQUESTED),
        (FundsDecision.PARTLY_APPROVED, "500000.00"),
        (FundsDecision.DECLINED, "0.01"),
        (FundsDecision.DECLINED, REQUESTED),
    ],
)
def test_an_amount_that_does_not_fit_the_decision_is_refused(
    decision: FundsDecision, approved: str
) -> None:
    refusal = refused(funds.answer, request_state(asked()), city_answer(decision, approved))

    assert refusal.code == "answer_mismatch"
    assert decision.value in refusal.message
    assert REQUESTED in refusal.message


def test_the_same_answer_again_records_nothing() -> None:
    answer = city_answer(FundsDecision.PARTLY_APPROVED, "300000.00")
    given = [asked(), *funds.answer(request_state(asked()), answer)]

    assert funds.answer(request_state(*given), answer) == []


def test_a_second_different_answer_is_refused() -> None:
    first = city_answer(FundsDecision.PARTLY_APPROVED, "300000.00")
    given = [asked(), *funds.answer(request_state(asked()), first)]

    refusal = refused(
        funds.answer, request_state(*given), city_answer(FundsDecision.APPROVED, REQUESTED)
    )

    assert refusal.code == "already_answered"
    assert "2017-12-20" in refusal.message
