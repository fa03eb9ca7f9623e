"""The Student aggregate: given these events, when this command, then these events (or a refusal).

A registered poor student's life on the roster (registration, yearly revisions, promotion,
graduation, transfer, leaving and coming back, dropout alerts) and their aid, term by term
(assessment, grants, payments, revocations). Amounts are compared as text where it matters,
so that "500.00" and "500.0" are not taken for the same figure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import BaseModel

from contracts.assistance.commands import (
    GraduateStudent,
    GrantTermAid,
    LoadAidCatalogue,
    PayAid,
    PayTermAid,
    ProgrammeDefinition,
    PromoteStudent,
    RecordGreenChannel,
    RecordLeaving,
    RecordStudentLoan,
    RegisterStudent,
    RemoveFromRoster,
    ResolveDropoutAlert,
    ReturnToSchool,
    ReviseStudent,
    RevokeAidGrant,
    TransferStudent,
)
from contracts.assistance.events import (
    AidGranted,
    AidGrantRevoked,
    AidPaid,
    DropoutAlertRaised,
    DropoutAlertResolved,
    GreenChannelUsed,
    StudentAidAssessed,
    StudentDetailsRevised,
    StudentDetailsRevisedV1,
    StudentGraduated,
    StudentLeftSchool,
    StudentLoanRecorded,
    StudentPromoted,
    StudentRegistered,
    StudentRemovedFromRoster,
    StudentRestoredToRoster,
    StudentReturnedToSchool,
    StudentTransferred,
)
from contracts.assistance.types import (
    AlertResolution,
    LeaveReason,
    PaymentChannel,
    SchoolCategory,
)
from contracts.files.aid_catalogue import read_catalogue_file
from contracts.types import GRADES, Stage
from services.assistance.catalogue import load_catalogue
from services.assistance.domain import catalogue as aid_catalogue
from services.assistance.domain import student as domain
from services.assistance.domain.catalogue import AidCatalogue
from shared.decider import Rejection
from shared.eventstore import RecordedEvent
from shared.processor import payload_of
from tests.support.builders import new_registry_id, register_student

STUDENT_ID = UUID("28d38190-6eaf-46af-8f51-15d2cc26082c")
REGISTRY = new_registry_id()
YEAR = 2017
"""The school year of the moment in these stories: 2017-2018."""
CATALOGUE = load_catalogue()
DEFAULT_PROGRAMMES = {p.programme: p for p in read_catalogue_file()}

Decision = Callable[..., list[BaseModel]]


def line(
    stage: Stage = Stage.PRIMARY,
    grade: int = 3,
    boarding: bool = True,
    county: str = "610831",
    school: str = "子洲县实验小学",
    **personal: Any,
) -> RegisterStudent:
    """This student's roster line (always the same registry number)."""
    return register_student(stage, grade, boarding, county, school, REGISTRY, **personal)


def revision_line(revision: str = "2018", **changes: Any) -> ReviseStudent:
    return ReviseStudent(**line(**changes).model_dump(), revision=revision)


def registered(
    command: RegisterStudent, school_year: int | None = YEAR, revision: str | None = None
) -> StudentRegistered:
    """The event that registering this roster line records."""
    return StudentRegistered.model_validate(
        {
            **command.model_dump(),
            "student_id": STUDENT_ID,
            "school_year": school_year,
            "roster_revision": revision,
        }
    )


def student(
    stage: Stage = Stage.PRIMARY,
    grade: int = 3,
    boarding: bool = True,
    county: str = "610831",
    school_year: int | None = YEAR,
) -> StudentRegistered:
    return registered(line(stage, grade, boarding, county), school_year)


def when(given: Sequence[BaseModel], decide: Decision, command: BaseModel, *args: Any) -> Any:
    """The events `decide` records for `command` on the student folded from `given`."""
    return decide(domain.STUDENT.fold(given), command, *args)


def refused(given: Sequence[BaseModel], decide: Decision, command: BaseModel, *args: Any) -> str:
    """The code of the refusal `decide` answers; it must refuse."""
    with pytest.raises(Rejection) as rejection:
        decide(domain.STUDENT.fold(given), command, *args)
    assert rejection.value.message, "a refusal explains itself"
    return rejection.value.code


def state(given: Sequence[BaseModel]) -> domain.Student:
    return domain.STUDENT.fold(given)


# Roster commands, readable --------------------------------------------------------------------


def removal(revision: str = "2018") -> RemoveFromRoster:
    return RemoveFromRoster(student_id=STUDENT_ID, revision=revision)


def removed(revision: str = "2018") -> StudentRemovedFromRoster:
    return StudentRemovedFromRoster(
        student_id=STUDENT_ID, revision=revision, reason="not on the revised roster"
    )


def promotion(school_year: int = YEAR + 1) -> PromoteStudent:
    return PromoteStudent(student_id=STUDENT_ID, school_year=school_year)


def graduation(
    to_stage: Stage,
    school_year: int = YEAR + 1,
    school: str = "子洲县第二中学",
    boarding: bool = True,
) -> GraduateStudent:
    return GraduateStudent(
        student_id=STUDENT_ID,
        to_stage=to_stage,
        school=school,
        boarding=boarding,
        school_year=school_year,
    )


def transfer(
    to_school: str = "子洲县大理河小学", to_county: str | None = None, boarding: bool = True
) -> TransferStudent:
    return TransferStudent(
        student_id=STUDENT_ID,
        to_school=to_school,
        to_county=to_county,
        boarding=boarding,
        transferred_on=date(2017, 11, 6),
    )


LEFT_ON = date(2017, 11, 20)
RETURNED_ON = date(2017, 12, 11)


def leaving(reason: LeaveReason = LeaveReason.DROPPED_OUT, on: date = LEFT_ON) -> RecordLeaving:
    return RecordLeaving(student_id=STUDENT_ID, reason=reason, left_on=on, note="外出务工")


def coming_back(
    school: str = "子洲县实验小学", stage: Stage = Stage.PRIMARY, grade: int = 3
) -> ReturnToSchool:
    return ReturnToSchool(
        student_id=STUDENT_ID,
        county="610831",
        school=school,
        stage=stage,
        grade=grade,
        boarding=True,
        returned_on=RETURNED_ON,
    )


def resolution(how: AlertResolution = AlertResolution.EXEMPTED) -> ResolveDropoutAlert:
    return ResolveDropoutAlert(
        student_id=STUDENT_ID, resolution=how, resolved_on=date(2017, 12, 1), note="送教上门"
    )


def left_and_alerted(given: Sequence[BaseModel], on: date = LEFT_ON) -> list[BaseModel]:
    """`given`, then the student drops out (and an alert is raised)."""
    then = when(given, domain.leave, leaving(on=on))
    assert [type(e) for e in then] == [StudentLeftSchool, DropoutAlertRaised]
    return [*given, *then]


# Aid commands, readable ------------------------------------------------------------------------


def granted(
    given: Sequence[BaseModel], term: str, catalogue: AidCatalogue = CATALOGUE
) -> list[BaseModel]:
    """Everything the grant run records for the term: an assessment (if new), then grants."""
    command = GrantTermAid(student_id=STUDENT_ID, term=term)
    return when(given, domain.grant_term_aid, command, catalogue)


def grants(events: Sequence[BaseModel]) -> list[AidGranted]:
    return [e for e in events if isinstance(e, AidGranted)]


def assessments(events: Sequence[BaseModel]) -> list[StudentAidAssessed]:
    return [e for e in events if isinstance(e, StudentAidAssessed)]


def amounts(events: Sequence[BaseModel]) -> dict[str, str]:
    """Programme -> term amount as written, e.g. {"preschool_grant": "375.00"}."""
    return {e.programme: str(e.amount) for e in grants(events)}


def with_grants(given: Sequence[BaseModel], *terms: str) -> list[BaseModel]:
    """`given`, then the grant run of each term."""
    history = list(given)
    for term in terms:
        history += granted(history, term)
    return history


def pay_run(term: str = "2017-autumn", reference: str = "ZZ-2017-10") -> PayTermAid:
    return PayTermAid(
        student_id=STUDENT_ID,
        term=term,
        paid_on=date(2017, 10, 10),
        channel=PaymentChannel.ONE_CARD_ACCOUNT,
        reference=reference,
    )


def payment(
    amount: str,
    reference: str,
    programme: str = "boarding_living_allowance",
    term: str = "2017-autumn",
) -> PayAid:
    return PayAid(
        student_id=STUDENT_ID,
        term=term,
        programme=programme,
        amount=Decimal(amount),
        paid_on=date(2017, 10, 12),
        channel=PaymentChannel.BANK_TRANSFER,
        reference=reference,
    )


def paid(command: PayAid) -> AidPaid:
    return AidPaid(**command.model_dump())


def revocation(
    programme: str = "boarding_living_allowance", term: str = "2017-autumn"
) -> RevokeAidGrant:
    return RevokeAidGrant(
        student_id=STUDENT_ID,
        term=term,
        programme=programme,
        reason="wrongly listed as a boarder",
        revoked_on=date(2017, 10, 20),
    )


def catalogue_from(
    effective_from: str,
    *definitions: ProgrammeDefinition,
    withdrawn: Sequence[str] = (),
    base: AidCatalogue = CATALOGUE,
) -> AidCatalogue:
    """`base`, then a load of the default programmes changed by `definitions`, from a term."""
    programmes = {**DEFAULT_PROGRAMMES, **{d.programme: d for d in definitions}}
    for programme in withdrawn:
        del programmes[programme]
    command = LoadAidCatalogue(effective_from=effective_from, programmes=list(programmes.values()))
    return aid_catalogue.CATALOGUE.fold(aid_catalogue.load(base, command), base)


def changed_programme(programme: str, **changes: Any) -> ProgrammeDefinition:
    return DEFAULT_PROGRAMMES[programme].model_copy(update=changes)


# Registering -----------------------------------------------------------------------------------


def test_a_new_student_is_registered_for_the_school_year_of_the_moment() -> None:
    command = line(Stage.JUNIOR, 2, boarding=True, school="子洲县第二中学", name="李静")

    then = domain.register(state([]), command, STUDENT_ID, YEAR)

    assert then == [
        StudentRegistered(
            student_id=STUDENT_ID,
            county="610831",
            school="子洲县第二中学",
            stage=Stage.JUNIOR,
            grade=2,
            boarding=True,
            personal=command.personal,
            school_year=YEAR,
            roster_revision=None,
        )
    ]


def test_a_roster_line_that_names_its_school_year_is_registered_for_it() -> None:
    command = line().model_copy(update={"school_year": 2016})

    (then,) = domain.register(state([]), command, STUDENT_ID, YEAR)

    assert then.school_year == 2016


def test_the_same_roster_line_again_changes_nothing() -> None:
    command = line()

    assert domain.register(state([registered(command)]), command, STUDENT_ID, YEAR) == []


@pytest.mark.parametrize(
    "changed",
    [
        {"school": "子洲县大理河小学"},
        {"grade": 4},
        {"stage": Stage.JUNIOR},
        {"boarding": False},
        {"county": "610802"},
        {"name": "李晶"},
        {"birth_date": date(2010, 3, 2)},
    ],
    ids=lambda changed: next(iter(changed)),
)
def test_other_data_for_a_registered_student_is_refused(changed: dict[str, Any]) -> None:
    first = line()
    again = line(**changed)
    assert again != first

    with pytest.raises(Rejection) as refusal:
        domain.register(state([registered(first)]), again, STUDENT_ID, YEAR)

    assert refusal.value.code == "already_registered"
    assert REGISTRY in refusal.value.message
    assert "revision" in refusal.value.message


def test_a_student_with_no_events_is_not_registered() -> None:
    nobody = state([])

    assert not nobody.registered
    assert nobody.grants == {}
    assert nobody.assessed == {}


def test_state_after_registration_holds_the_roster_data() -> None:
    command = line(Stage.VOCATIONAL, 2, boarding=False, school="子洲县职业教育中心")

    after = state([registered(command)])

    assert after.registered
    assert after.student_id == STUDENT_ID
    assert (after.county, after.school, after.stage, after.grade, after.boarding) == (
        "610831",
        "子洲县职业教育中心",
        Stage.VOCATIONAL,
        2,
        False,
    )
    assert after.personal == command.personal
    assert after.school_year == YEAR
    assert (after.on_roster, after.in_school, after.open_alert) == (True, True, None)
    assert domain.STUDENT.county(after) == "610831"


# Yearly roster revision ------------------------------------------------------------------------


def test_a_student_new_on_the_revised_roster_is_registered_by_the_revision() -> None:
    command = revision_line("2018", stage=Stage.PRESCHOOL, grade=1, boarding=False)

    then = domain.revise(state([]), command, STUDENT_ID, 2018)

    assert then == [registered(line(Stage.PRESCHOOL, 1, False), 2018, revision="2018")]


def test_an_unchanged_student_on_the_revised_roster_records_nothing() -> None:
    given = [registered(line())]

    assert domain.revise(state(given), revision_line(), STUDENT_ID, 2018) == []


@pytest.mark.parametrize(
    ("changes", "changed"),
    [
        ({"school": "子洲县大理河小学"}, ["school"]),
        ({"grade": 4}, ["grade"]),
        ({"stage": Stage.JUNIOR, "grade": 1}, ["stage", "grade"]),
        ({"boarding": False}, ["boarding"]),
        ({"county": "610802", "school": "榆阳区第一小学"}, ["county", "school"]),
        ({"household_id": "61083100099999"}, ["personal"]),
        ({"grade": 4, "boarding": False, "name": "李晶"}, ["grade", "boarding", "personal"]),
    ],
    ids=lambda value: "+".join(value) if isinstance(value, list) else None,
)
def test_a_revision_lists_exactly_the_fields_that_changed(
    changes: dict[str, Any], changed: list[str]
) -> None:
    given = [registered(line())]
    command = revision_line("2018", **changes)

    then = domain.revise(state(given), command, STUDENT_ID, 2018)

    assert then == [
        StudentDetailsRevised(
            student_id=STUDENT_ID,
            revision="2018",
            changed=changed,
            county=command.county,
            school=command.school,
            stage=command.stage,
            grade=command.grade,
            boarding=command.boarding,
            school_year=2018,
            personal=command.personal,
            school_category=None,
            programme_years=None,
        )
    ]


def test_the_revised_details_are_the_students_from_then_on() -> None:
    given: list[BaseModel] = [registered(line())]
    command = revision_line("2018", school="子洲县大理河小学", grade=4, boarding=False)
    given += domain.revise(state(given), command, STUDENT_ID, 2018)

    after = state(given)

    assert (after.school, after.grade, after.boarding, after.school_year) == (
        "子洲县大理河小学",
        4,
        False,
        2018,
    )
    assert domain.promote(after, promotion(2018)) == [], "the revision gave the 2018 grade"


def test_a_student_removed_earlier_and_back_on_the_roster_is_restored() -> None:
    given = [registered(line()), removed("2018")]

    then = domain.revise(state(given), revision_line("2019"), STUDENT_ID, 2019)

    assert then == [StudentRestoredToRoster(student_id=STUDENT_ID, revision="2019")]
    assert state([*given, *then]).on_roster


def test_a_removed_student_back_with_other_data_is_restored_then_revised() -> None:
    given = [registered(line()), removed("2018")]

    then = domain.revise(state(given), revision_line("2019", grade=5), STUDENT_ID, 2019)

    assert [type(e) for e in then] == [StudentRestoredToRoster, StudentDetailsRevised]
    assert then[1].changed == ["grade"]
    assert (then[0].revision, then[1].revision) == ("2019", "2019")


def test_running_the_same_revision_again_changes_nothing() -> None:
    given: list[BaseModel] = [registered(line()), removed("2018")]
    command = revision_line("2019", school="子洲县大理河小学")
    given += domain.revise(state(given), command, STUDENT_ID, 2019)

    assert domain.revise(state(given), command, STUDENT_ID, 2019) == []


def test_registering_again_after_a_revision_refuses_the_old_line() -> None:
    given: list[BaseModel] = [registered(line())]
    given += domain.revise(state(given), revision_line(grade=4), STUDENT_ID, 2018)

    with pytest.raises(Rejection) as refusal:
        domain.register(state(given), line(), STUDENT_ID, 2018)

    assert refusal.value.code == "already_registered"


# Removal from the roster -----------------------------------------------------------------------


def test_a_student_no_longer_on_the_roster_is_removed_with_the_revision_and_reason() -> None:
    command = RemoveFromRoster(
        student_id=STUDENT_ID, revision="2018", reason="household lifted out of poverty"
    )

    then = when([student()], domain.remove, command)

    assert then == [
        StudentRemovedFromRoster(
            student_id=STUDENT_ID, revision="2018", reason="household lifted out of poverty"
        )
    ]
    assert not state([student(), *then]).on_roster


def test_removing_a_removed_student_again_records_nothing() -> None:
    assert when([student(), removed()], domain.remove, removal()) == []


def test_removing_a_student_never_registered_is_refused() -> None:
    assert refused([], domain.remove, removal()) == "not_registered"


# Yearly promotion ------------------------------------------------------------------------------


def test_at_the_start_of_a_school_year_a_student_moves_up_a_grade() -> None:
    then = when([student(Stage.PRIMARY, 3)], domain.promote, promotion(2018))

    assert then == [
        StudentPromoted(student_id=STUDENT_ID, school_year=2018, from_grade=3, to_grade=4)
    ]
    after = state([student(Stage.PRIMARY, 3), *then])
    assert (after.stage, after.grade, after.school_year) == (Stage.PRIMARY, 4, 2018)


def test_a_student_promoted_for_the_school_year_is_not_promoted_again() -> None:
    given: list[BaseModel] = [student(Stage.PRIMARY, 3)]
    given += when(given, domain.promote, promotion(2018))

    assert when(given, domain.promote, promotion(2018)) == []
    assert when(given, domain.promote, promotion(2017)) == []
    assert state(given).grade == 4


def test_a_student_registered_for_the_school_year_already_has_its_grade() -> None:
    assert when([student(Stage.PRIMARY, 3, school_year=2018)], domain.promote, promotion()) == []


def test_a_student_registered_before_school_years_were_recorded_is_promoted() -> None:
    then = when([student(Stage.JUNIOR, 1, school_year=None)], domain.promote, promotion(2018))

    assert then == [
        StudentPromoted(student_id=STUDENT_ID, school_year=2018, from_grade=1, to_grade=2)
    ]


@pytest.mark.parametrize("stage", list(Stage), ids=str)
def test_the_last_grade_of_a_stage_is_not_promoted_but_graduated(stage: Stage) -> None:
    given = [student(stage, domain.last_grade(stage, None), boarding=False)]

    with pytest.raises(Rejection) as refusal:
        when(given, domain.promote, promotion())

    assert refusal.value.code == "final_grade"
    assert "graduate" in refusal.value.message


@pytest.mark.parametrize(
    ("stage", "years", "last"),
    [
        (Stage.UNDERGRADUATE, None, 4),
        (Stage.UNDERGRADUATE, 5, 5),
        (Stage.JUNIOR_COLLEGE, None, 3),
    ],
    ids=str,
)
def test_a_university_student_is_promoted_up_to_their_own_programme_length(
    stage: Stage, years: int | None, last: int
) -> None:
    """A bachelor programme lasts 4 years unless the student's is a five-year one; a junior
    college programme 3: nobody is promoted into a grade their programme does not have."""
    enrolment = line(stage, last - 1, boarding=False).model_copy(update={"programme_years": years})
    given = [registered(enrolment)]
    assert state(given).programme_years == years

    (promoted,) = when(given, domain.promote, promotion())
    assert promoted.to_grade == last

    code = refused([*given, promoted], domain.promote, promotion(YEAR + 2))
    assert code == "final_grade"


@pytest.mark.parametrize(
    ("stage", "years"), [(Stage.JUNIOR_COLLEGE, 5), (Stage.UNDERGRADUATE, 6), (Stage.PRIMARY, 4)]
)
def test_a_programme_length_the_stage_cannot_have_is_refused(stage: Stage, years: int) -> None:
    with pytest.raises(ValueError, match="programme_years"):
        RegisterStudent.model_validate({**line(stage, 1).model_dump(), "programme_years": years})
    assert RegisterStudent.model_validate({**line(stage, 1).model_dump()}).programme_years is None


def test_a_student_off_the_roster_is_not_promoted() -> None:
    code = refused([student(), removed("2018")], domain.promote, promotion())

    assert code == "not_on_roster"


def test_a_student_out_of_school_is_not_promoted() -> None:
    given = left_and_alerted([student()])

    assert refused(given, domain.promote, promotion()) == "not_in_school"


def test_promoting_a_student_never_registered_is_refused() -> None:
    assert refused([], domain.promote, promotion()) == "not_registered"


# Graduation into the next stage ----------------------------------------------------------------

TRANSITIONS = [(s, t) for s, nexts in domain.NEXT_STAGES.items() for t in sorted(nexts)]


@pytest.mark.parametrize(
    ("from_stage", "to_stage"), TRANSITIONS, ids=[f"{s}-{t}" for s, t in TRANSITIONS]
)
def test_a_student_in_the_last_grade_graduates_into_grade_1_of_a_next_stage(
    from_stage: Stage, to_stage: Stage
) -> None:
    given = [student(from_stage, GRADES[from_stage], boarding=False)]

    then = when(given, domain.graduate, graduation(to_stage, school="新学校", boarding=True))

    assert then == [
        StudentGraduated(
            student_id=STUDENT_ID,
            school_year=YEAR + 1,
            from_stage=from_stage,
            to_stage=to_stage,
            school="新学校",
            boarding=True,
        )
    ]
    after = state([*given, *then])
    assert (after.stage, after.grade, after.school, after.boarding, after.school_year) == (
        to_stage,
        1,
        "新学校",
        True,
        YEAR + 1,
    )


def test_every_stage_but_university_leads_somewhere() -> None:
    assert TRANSITIONS == [
        (Stage.PRESCHOOL, Stage.PRIMARY),
        (Stage.PRIMARY, Stage.JUNIOR),
        (Stage.JUNIOR, Stage.HIGH_SCHOOL),
        (Stage.JUNIOR, Stage.VOCATIONAL),
        (Stage.HIGH_SCHOOL, Stage.JUNIOR_COLLEGE),
        (Stage.HIGH_SCHOOL, Stage.UNDERGRADUATE),
        (Stage.VOCATIONAL, Stage.JUNIOR_COLLEGE),
        (Stage.VOCATIONAL, Stage.UNDERGRADUATE),
        (Stage.JUNIOR_COLLEGE, Stage.UNDERGRADUATE),
    ]


@pytest.mark.parametrize(
    ("from_stage", "to_stage", "allowed"),
    [
        (Stage.PRIMARY, Stage.HIGH_SCHOOL, "junior"),
        (Stage.PRESCHOOL, Stage.JUNIOR, "primary"),
        (Stage.JUNIOR, Stage.UNDERGRADUATE, "high_school, vocational"),
        (Stage.HIGH_SCHOOL, Stage.VOCATIONAL, "junior_college, undergraduate"),
        (Stage.UNDERGRADUATE, Stage.JUNIOR_COLLEGE, "none"),
    ],
)
def test_a_stage_that_does_not_follow_is_refused_naming_the_ones_that_do(
    from_stage: Stage, to_stage: Stage, allowed: str
) -> None:
    given = [student(from_stage, GRADES[from_stage], boarding=False)]

    with pytest.raises(Rejection) as refusal:
        when(given, domain.graduate, graduation(to_stage))

    assert refusal.value.code == "invalid_transition"
    assert f"(next: {allowed})" in refusal.value.message


def test_a_student_before_the_last_grade_is_not_graduated() -> None:
    code = refused([student(Stage.PRIMARY, 5)], domain.graduate, graduation(Stage.JUNIOR))

    assert code == "not_final_grade"


def test_graduating_again_into_the_same_stage_and_year_records_nothing() -> None:
    given: list[BaseModel] = [student(Stage.PRIMARY, 6)]
    given += when(given, domain.graduate, graduation(Stage.JUNIOR))

    assert when(given, domain.graduate, graduation(Stage.JUNIOR)) == []
    assert when(given, domain.promote, promotion(YEAR + 1)) == [], "grade 1 is the year's grade"


def test_a_student_registered_in_grade_1_of_the_stage_for_that_year_is_not_graduated() -> None:
    given = [student(Stage.JUNIOR, 1, school_year=2018)]

    assert when(given, domain.graduate, graduation(Stage.JUNIOR, school_year=2018)) == []


def test_a_student_in_the_last_grade_for_that_very_year_is_not_graduated_into_it() -> None:
    given = [student(Stage.PRIMARY, 6, school_year=2018)]

    with pytest.raises(Rejection) as refused:
        when(given, domain.graduate, graduation(Stage.JUNIOR, school_year=2018))

    assert refused.value.code == "already_placed", "grade 6 is the student's place in 2018-2019"


def test_a_student_off_the_roster_or_out_of_school_is_not_graduated() -> None:
    final = student(Stage.PRIMARY, 6)

    assert refused([final, removed()], domain.graduate, graduation(Stage.JUNIOR)) == (
        "not_on_roster"
    )
    assert refused(left_and_alerted([final]), domain.graduate, graduation(Stage.JUNIOR)) == (
        "not_in_school"
    )
    assert refused([], domain.graduate, graduation(Stage.JUNIOR)) == "not_registered"


# Transfer to another school --------------------------------------------------------------------


def test_a_transfer_to_another_school_of_the_county_is_recorded() -> None:
    then = when([student()], domain.transfer, transfer("子洲县大理河小学"))

    assert then == [
        StudentTransferred(
            student_id=STUDENT_ID,
            from_county="610831",
            to_county="610831",
            from_school="子洲县实验小学",
            to_school="子洲县大理河小学",
            boarding=True,
            transferred_on=date(2017, 11, 6),
        )
    ]
    assert state([student(), *then]).school == "子洲县大理河小学"


def test_a_transfer_to_another_county_moves_the_student_there() -> None:
    then = when([student()], domain.transfer, transfer("榆阳区第一小学", to_county="610802"))

    assert [(e.from_county, e.to_county, e.to_school) for e in then] == [
        ("610831", "610802", "榆阳区第一小学")
    ]
    after = state([student(), *then])
    assert (after.county, after.school) == ("610802", "榆阳区第一小学")
    assert domain.STUDENT.county(after) == "610802"


def test_becoming_a_day_pupil_at_the_same_school_is_recorded() -> None:
    then = when([student()], domain.transfer, transfer("子洲县实验小学", boarding=False))

    assert [(e.from_school, e.to_school, e.boarding) for e in then] == [
        ("子洲县实验小学", "子洲县实验小学", False)
    ]


def test_a_transfer_to_where_the_student_already_is_records_nothing() -> None:
    assert when([student()], domain.transfer, transfer("子洲县实验小学")) == []
    assert when([student()], domain.transfer, transfer("子洲县实验小学", "610831")) == []


def test_a_student_out_of_school_is_not_transferred() -> None:
    given = left_and_alerted([student()])

    assert refused(given, domain.transfer, transfer()) == "not_in_school"
    assert refused([], domain.transfer, transfer()) == "not_registered"


# Leaving school, dropout alerts ----------------------------------------------------------------


def _final_grade_if_completed(stage: Stage, reason: LeaveReason) -> int:
    return GRADES[stage] if reason == LeaveReason.COMPLETED else 1


@pytest.mark.parametrize("reason", [r for r in LeaveReason if r != LeaveReason.DECEASED], ids=str)
def test_a_primary_pupil_leaving_for_any_reason_but_death_raises_a_dropout_alert(
    reason: LeaveReason,
) -> None:
    grade = _final_grade_if_completed(Stage.PRIMARY, reason)
    given = [student(Stage.PRIMARY, grade)]

    then = when(given, domain.leave, leaving(reason))

    assert then == [
        StudentLeftSchool(student_id=STUDENT_ID, reason=reason, left_on=LEFT_ON, note="外出务工"),
        DropoutAlertRaised(
            student_id=STUDENT_ID,
            alert_id=f"{STUDENT_ID}/1",
            county="610831",
            school="子洲县实验小学",
            stage=Stage.PRIMARY,
            grade=grade,
            reason=reason,
            left_on=LEFT_ON,
        ),
    ]
    after = state([*given, *then])
    assert (after.in_school, after.open_alert) == (False, f"{STUDENT_ID}/1")


@pytest.mark.parametrize(
    "reason",
    [LeaveReason.DROPPED_OUT, LeaveReason.MOVED_AWAY, LeaveReason.ILLNESS, LeaveReason.OTHER],
    ids=str,
)
def test_a_junior_pupil_leaving_raises_a_dropout_alert(reason: LeaveReason) -> None:
    then = when([student(Stage.JUNIOR, 2)], domain.leave, leaving(reason))

    assert [type(e) for e in then] == [StudentLeftSchool, DropoutAlertRaised]
    assert (then[1].stage, then[1].grade, then[1].reason) == (Stage.JUNIOR, 2, reason)


@pytest.mark.parametrize(
    ("stage", "reason"),
    [
        (Stage.PRIMARY, LeaveReason.DECEASED),
        (Stage.JUNIOR, LeaveReason.DECEASED),
        (Stage.JUNIOR, LeaveReason.COMPLETED),
        *[
            (stage, reason)
            for stage in (
                Stage.PRESCHOOL,
                Stage.HIGH_SCHOOL,
                Stage.VOCATIONAL,
                Stage.UNDERGRADUATE,
                Stage.JUNIOR_COLLEGE,
            )
            for reason in LeaveReason
        ],
    ],
    ids=str,
)
def test_leaving_outside_compulsory_age_or_by_death_or_completed_junior_raises_no_alert(
    stage: Stage, reason: LeaveReason
) -> None:
    given = [student(stage, _final_grade_if_completed(stage, reason), boarding=False)]

    then = when(given, domain.leave, leaving(reason))

    assert then == [
        StudentLeftSchool(student_id=STUDENT_ID, reason=reason, left_on=LEFT_ON, note="外出务工")
    ]
    after = state([*given, *then])
    assert (after.in_school, after.open_alert) == (False, None)


@pytest.mark.parametrize(
    ("stage", "grade"),
    [(Stage.PRIMARY, 5), (Stage.JUNIOR, 2), (Stage.HIGH_SCHOOL, 1), (Stage.JUNIOR_COLLEGE, 2)],
)
def test_completing_a_stage_before_its_last_grade_is_refused(stage: Stage, grade: int) -> None:
    given = [student(stage, grade, boarding=False)]

    assert refused(given, domain.leave, leaving(LeaveReason.COMPLETED)) == "not_final_grade"


def test_a_bachelor_student_completes_a_four_year_programme_in_grade_4() -> None:
    given = [student(Stage.UNDERGRADUATE, 4, boarding=False)]

    then = when(given, domain.leave, leaving(LeaveReason.COMPLETED))

    assert [type(e) for e in then] == [StudentLeftSchool]


def test_each_dropout_of_a_student_raises_a_new_alert() -> None:
    given = left_and_alerted([student()])
    given += when(given, domain.return_to_school, coming_back())

    then = when(given, domain.leave, leaving(LeaveReason.MOVED_AWAY, date(2018, 3, 19)))

    assert [e.alert_id for e in then if isinstance(e, DropoutAlertRaised)] == [f"{STUDENT_ID}/2"]
    assert state([*given, *then]).alerts_raised == 2


def test_a_student_who_left_cannot_leave_again() -> None:
    given = left_and_alerted([student()])

    assert refused(given, domain.leave, leaving()) == "not_in_school"
    assert refused([], domain.leave, leaving()) == "not_registered"


# Return to school ------------------------------------------------------------------------------


def test_a_dropout_back_in_school_closes_the_alert_as_returned() -> None:
    given = left_and_alerted([student()])
    command = coming_back("子洲县大理河小学", Stage.PRIMARY, 3)

    then = when(given, domain.return_to_school, command)

    assert then == [
        StudentReturnedToSchool(
            student_id=STUDENT_ID,
            county="610831",
            school="子洲县大理河小学",
            stage=Stage.PRIMARY,
            grade=3,
            boarding=True,
            returned_on=RETURNED_ON,
        ),
        DropoutAlertResolved(
            student_id=STUDENT_ID,
            alert_id=f"{STUDENT_ID}/1",
            resolution=AlertResolution.RETURNED_TO_SCHOOL,
            resolved_on=RETURNED_ON,
            note="back at 子洲县大理河小学",
        ),
    ]
    after = state([*given, *then])
    assert (after.in_school, after.open_alert, after.school) == (True, None, "子洲县大理河小学")


def test_a_student_back_without_an_open_alert_just_returns() -> None:
    high_school = [student(Stage.HIGH_SCHOOL, 2, boarding=False)]
    given = high_school + when(high_school, domain.leave, leaving(LeaveReason.ILLNESS))
    command = coming_back("子洲中学", Stage.HIGH_SCHOOL, 2)

    assert [type(e) for e in when(given, domain.return_to_school, command)] == [
        StudentReturnedToSchool
    ]


def test_a_dropout_whose_alert_was_resolved_otherwise_just_returns() -> None:
    given = left_and_alerted([student()])
    given += when(given, domain.resolve_alert, resolution(AlertResolution.EXEMPTED))

    then = when(given, domain.return_to_school, coming_back())

    assert [type(e) for e in then] == [StudentReturnedToSchool]


def test_a_student_in_school_cannot_return_to_it() -> None:
    assert refused([student()], domain.return_to_school, coming_back()) == "in_school"
    assert refused([], domain.return_to_school, coming_back()) == "not_registered"


# Resolving dropout alerts ----------------------------------------------------------------------


def test_an_open_alert_is_resolved_as_the_county_says() -> None:
    given = left_and_alerted([student()])

    then = when(given, domain.resolve_alert, resolution(AlertResolution.TRANSFERRED))

    assert then == [
        DropoutAlertResolved(
            student_id=STUDENT_ID,
            alert_id=f"{STUDENT_ID}/1",
            resolution=AlertResolution.TRANSFERRED,
            resolved_on=date(2017, 12, 1),
            note="送教上门",
        )
    ]
    assert state([*given, *then]).open_alert is None


def test_there_is_no_alert_to_resolve_without_an_open_one() -> None:
    given = left_and_alerted([student()])
    given += when(given, domain.resolve_alert, resolution())

    assert refused(given, domain.resolve_alert, resolution()) == "no_open_alert"
    assert refused([student()], domain.resolve_alert, resolution()) == "no_open_alert"
    assert refused([], domain.resolve_alert, resolution()) == "not_registered"


# Who may get aid -------------------------------------------------------------------------------


def test_aid_cannot_be_granted_to_a_student_never_registered() -> None:
    with pytest.raises(Rejection) as refusal:
        granted([], "2017-autumn")

    assert refusal.value.code == "not_registered"
    assert str(STUDENT_ID) in refusal.value.message


def test_a_student_off_the_roster_is_not_eligible() -> None:
    with pytest.raises(Rejection) as refusal:
        granted([student(), removed("2018")], "2018-autumn")

    assert refusal.value.code == "not_eligible"
    assert "2018" in refusal.value.message


def test_a_student_out_of_school_is_not_eligible() -> None:
    with pytest.raises(Rejection) as refusal:
        granted(left_and_alerted([student()]), "2018-spring")

    assert refusal.value.code == "not_eligible"
    assert "dropped_out" in refusal.value.message


def test_a_student_back_on_the_roster_or_in_school_gets_aid_again() -> None:
    restored = [
        student(),
        removed("2018"),
        StudentRestoredToRoster(student_id=STUDENT_ID, revision="2019"),
    ]
    back = left_and_alerted([student()])
    back += when(back, domain.return_to_school, coming_back())

    assert len(grants(granted(restored, "2019-autumn"))) == 2
    assert len(grants(granted(back, "2018-spring"))) == 2


# Assessment and grants -------------------------------------------------------------------------


def test_a_primary_boarder_is_assessed_then_granted_half_the_yearly_allowance_and_meals() -> None:
    then = granted([student(Stage.PRIMARY, grade=3, boarding=True)], "2017-autumn")

    common: dict[str, Any] = {
        "student_id": STUDENT_ID,
        "term": "2017-autumn",
        "stage": Stage.PRIMARY,
        "grade": 3,
    }
    assert then == [
        StudentAidAssessed(
            **common,
            boarding=True,
            entitled=["boarding_living_allowance", "nutrition_meal_subsidy"],
            reason="",
        ),
        AidGranted(
            **common,
            programme="boarding_living_allowance",
            amount=Decimal("500.00"),
            annual_amount=Decimal("1000.00"),
        ),
        AidGranted(
            **common,
            programme="nutrition_meal_subsidy",
            amount=Decimal("400.00"),
            annual_amount=Decimal("800.00"),
        ),
    ]
    assert amounts(then) == {
        "boarding_living_allowance": "500.00",
        "nutrition_meal_subsidy": "400.00",
    }


@pytest.mark.parametrize(
    ("stage", "grade", "boarding", "expected"),
    [
        (Stage.PRESCHOOL, 1, False, {"preschool_grant": "375.00"}),
        (Stage.PRESCHOOL, 3, False, {"preschool_grant": "375.00"}),
        (
            Stage.PRIMARY,
            1,
            True,
            {"boarding_living_allowance": "500.00", "nutrition_meal_subsidy": "400.00"},
        ),
        (
            Stage.JUNIOR,
            3,
            True,
            {"boarding_living_allowance": "625.00", "nutrition_meal_subsidy": "400.00"},
        ),
        (
            Stage.HIGH_SCHOOL,
            2,
            False,
            {"hs_national_grant": "1250.00", "hs_tuition_waiver": "175.00"},
        ),
        (
            Stage.VOCATIONAL,
            1,
            False,
            {
                "vet_tuition_waiver": "1000.00",
                "vet_national_grant": "1000.00",
                "rain_dew_plan_subsidy": "1500.00",
            },
        ),
        (Stage.UNDERGRADUATE, 3, False, {"univ_national_grant": "1500.00"}),
        (Stage.JUNIOR_COLLEGE, 2, False, {"univ_national_grant": "1500.00"}),
    ],
    ids=lambda value: value.value if isinstance(value, Stage) else None,
)
def test_each_stage_gets_its_programmes_at_half_the_yearly_amount(
    stage: Stage, grade: int, boarding: bool, expected: dict[str, str]
) -> None:
    then = granted([student(stage, grade, boarding)], "2017-autumn")

    assert amounts(then) == expected
    assert assessments(then)[0].entitled == sorted(expected)
    assert all(e.amount * 2 == e.annual_amount for e in grants(then))
    assert {(e.stage, e.grade, e.term) for e in grants(then)} == {(stage, grade, "2017-autumn")}


@pytest.mark.parametrize("stage", [Stage.PRIMARY, Stage.JUNIOR])
def test_a_day_pupil_in_compulsory_school_gets_only_the_meal_subsidy(stage: Stage) -> None:
    then = granted([student(stage, grade=2, boarding=False)], "2017-autumn")

    assert amounts(then) == {"nutrition_meal_subsidy": "400.00"}
    assert assessments(then)[0].boarding is False


def test_a_student_no_programme_covers_is_assessed_with_the_reason_and_granted_nothing() -> None:
    without_university_grant = catalogue_from("2017-autumn", withdrawn=["univ_national_grant"])
    given = [student(Stage.UNDERGRADUATE, 2, boarding=False)]

    then = granted(given, "2017-autumn", without_university_grant)

    assert then == [
        StudentAidAssessed(
            student_id=STUDENT_ID,
            term="2017-autumn",
            stage=Stage.UNDERGRADUATE,
            grade=2,
            boarding=False,
            entitled=[],
            reason="no programme in force for 2017-autumn covers undergraduate grade 2, "
            "not boarding in county 610831",
        )
    ]
    assert granted([*given, *then], "2017-autumn", without_university_grant) == []


def test_the_grant_run_again_for_the_same_term_records_nothing() -> None:
    given = with_grants([student(Stage.JUNIOR, grade=1, boarding=True)], "2017-autumn")

    assert granted(given, "2017-autumn") == []


def test_only_the_programmes_not_yet_granted_this_term_are_granted() -> None:
    pupil = student(Stage.PRIMARY, grade=5, boarding=True)
    assessed, allowance, meals = granted([pupil], "2017-autumn")

    then = granted([pupil, assessed, allowance], "2017-autumn")

    assert then == [meals]


def test_each_term_is_assessed_and_granted_on_its_own() -> None:
    given = with_grants([student(Stage.HIGH_SCHOOL, grade=1, boarding=False)], "2017-autumn")

    then = granted(given, "2018-spring")

    assert [type(e) for e in then] == [StudentAidAssessed, AidGranted, AidGranted]
    assert amounts(then) == {"hs_national_grant": "1250.00", "hs_tuition_waiver": "175.00"}
    assert {e.term for e in then} == {"2018-spring"}
    assert set(state([*given, *then]).assessed) == {"2017-autumn", "2018-spring"}


def test_a_programme_added_for_the_term_after_its_grant_run_is_assessed_and_granted() -> None:
    zizhou_fee = changed_programme(
        "preschool_fee_waiver", county_amounts={"610831": {Stage.PRESCHOOL: Decimal("600.00")}}
    )
    with_fee = catalogue_from("2017-autumn", zizhou_fee)
    given = with_grants([student(Stage.PRESCHOOL, 2, boarding=False)], "2017-autumn")

    then = granted(given, "2017-autumn", with_fee)

    assert [type(e) for e in then] == [StudentAidAssessed, AidGranted]
    assert then[0].entitled == ["preschool_fee_waiver", "preschool_grant"]
    assert amounts(then) == {"preschool_fee_waiver": "300.00"}
    assert granted([*given, *then], "2017-autumn", with_fee) == []


def test_a_changed_amount_for_a_term_already_granted_changes_no_grant() -> None:
    dearer = catalogue_from(
        "2017-autumn",
        changed_programme("preschool_grant", amounts={Stage.PRESCHOOL: Decimal("900.00")}),
    )
    given = with_grants([student(Stage.PRESCHOOL, 2, boarding=False)], "2017-autumn")

    assert granted(given, "2017-autumn", dearer) == []
    assert state(given).grants[("2017-autumn", "preschool_grant")].amount == Decimal("375.00")


def test_a_stage_change_after_the_terms_grants_gives_nothing_more_that_term() -> None:
    given = with_grants([student(Stage.JUNIOR, 3, boarding=True)], "2017-autumn")
    given += when(given, domain.graduate, graduation(Stage.HIGH_SCHOOL, school="子洲中学"))

    assert granted(given, "2017-autumn") == [], "no double aid in the term of the change"

    then = granted(given, "2018-spring")
    assert assessments(then)[0].stage == Stage.HIGH_SCHOOL
    assert amounts(then) == {"hs_national_grant": "1250.00", "hs_tuition_waiver": "175.00"}


def test_a_stage_change_before_the_terms_grants_gives_the_new_stages_programmes() -> None:
    given = with_grants([student(Stage.JUNIOR, 3, boarding=True)], "2017-autumn", "2018-spring")
    given += when(given, domain.graduate, graduation(Stage.HIGH_SCHOOL, school="子洲中学"))

    then = granted(given, "2018-autumn")

    assert amounts(then) == {"hs_national_grant": "1250.00", "hs_tuition_waiver": "175.00"}
    assert {e.stage for e in grants(then)} == {Stage.HIGH_SCHOOL}


@pytest.mark.parametrize("stage", [Stage.UNDERGRADUATE, Stage.JUNIOR_COLLEGE])
def test_a_freshman_gets_the_travel_grant_whole_in_the_autumn_term(stage: Stage) -> None:
    then = granted([student(stage, grade=1, boarding=False)], "2017-autumn")

    assert amounts(then) == {"univ_national_grant": "1500.00", "freshman_travel_grant": "500.00"}
    travel = next(e for e in grants(then) if e.programme == "freshman_travel_grant")
    assert travel.annual_amount == travel.amount


def test_the_freshman_travel_grant_is_granted_once_not_again_in_spring() -> None:
    given = with_grants([student(Stage.UNDERGRADUATE, grade=1, boarding=False)], "2017-autumn")

    assert granted(given, "2017-autumn") == []
    assert amounts(granted(given, "2018-spring")) == {"univ_national_grant": "1500.00"}


def test_a_spring_freshman_with_nothing_granted_yet_still_gets_no_travel_grant() -> None:
    then = granted([student(Stage.UNDERGRADUATE, grade=1, boarding=False)], "2018-spring")

    assert amounts(then) == {"univ_national_grant": "1500.00"}


def test_no_travel_grant_after_the_first_grade() -> None:
    for grade in (2, 3, 4):
        then = granted([student(Stage.UNDERGRADUATE, grade, boarding=False)], "2017-autumn")
        assert "freshman_travel_grant" not in amounts(then)


def test_the_freshman_travel_grant_is_once_in_a_life_even_entering_university_again() -> None:
    given = with_grants([student(Stage.JUNIOR_COLLEGE, 1, boarding=False)], "2017-autumn")
    for year in (2018, 2019):
        given += when(given, domain.promote, promotion(year))
    given += when(given, domain.graduate, graduation(Stage.UNDERGRADUATE, 2020, "西北大学", False))

    then = granted(given, "2020-autumn")

    assert assessments(then)[0].entitled == ["univ_national_grant"]
    assert amounts(then) == {"univ_national_grant": "1500.00"}


def test_a_catalogue_change_from_next_year_keeps_this_years_amounts() -> None:
    dearer_from_2018 = catalogue_from(
        "2018-autumn",
        changed_programme(
            "boarding_living_allowance",
            amounts={Stage.PRIMARY: Decimal("1200.00"), Stage.JUNIOR: Decimal("1250.00")},
        ),
    )
    pupil = student(Stage.PRIMARY, 3, boarding=True)

    autumn_2017 = granted([pupil], "2017-autumn", dearer_from_2018)
    spring_2018 = granted([pupil], "2018-spring", dearer_from_2018)
    autumn_2018 = granted([pupil], "2018-autumn", dearer_from_2018)

    assert amounts(autumn_2017)["boarding_living_allowance"] == "500.00"
    assert amounts(spring_2018)["boarding_living_allowance"] == "500.00"
    assert amounts(autumn_2018)["boarding_living_allowance"] == "600.00"
    assert next(iter(grants(autumn_2018))).annual_amount == Decimal("1200.00")


def test_a_programme_withdrawn_from_a_term_is_not_granted_from_then_on() -> None:
    no_rain_dew_from_2018 = catalogue_from("2018-autumn", withdrawn=["rain_dew_plan_subsidy"])
    given = with_grants([student(Stage.VOCATIONAL, 1, boarding=False)], "2017-autumn")

    spring = granted(given, "2018-spring", no_rain_dew_from_2018)
    autumn = granted(given, "2018-autumn", no_rain_dew_from_2018)

    assert "rain_dew_plan_subsidy" in amounts(spring)
    assert "rain_dew_plan_subsidy" not in amounts(autumn)
    assert assessments(autumn)[0].entitled == ["vet_national_grant", "vet_tuition_waiver"]
    assert state(given).grants[("2017-autumn", "rain_dew_plan_subsidy")].amount == Decimal(
        "1500.00"
    )


def test_the_preschool_fee_is_waived_only_where_the_county_sets_the_fee() -> None:
    zizhou_fee = changed_programme(
        "preschool_fee_waiver", county_amounts={"610831": {Stage.PRESCHOOL: Decimal("600.00")}}
    )
    catalogue = catalogue_from("2016-autumn", zizhou_fee)

    in_zizhou = granted([student(Stage.PRESCHOOL, 2, False, "610831")], "2017-autumn", catalogue)
    in_yuyang = granted([student(Stage.PRESCHOOL, 2, False, "610802")], "2017-autumn", catalogue)
    default = granted([student(Stage.PRESCHOOL, 2, False, "610831")], "2017-autumn")

    assert amounts(in_zizhou) == {"preschool_grant": "375.00", "preschool_fee_waiver": "300.00"}
    assert amounts(in_yuyang) == {"preschool_grant": "375.00"}
    assert amounts(default) == {"preschool_grant": "375.00"}


def test_a_county_amount_wins_over_the_default_for_students_of_that_county() -> None:
    zizhou_grant = changed_programme(
        "hs_national_grant", county_amounts={"610831": {Stage.HIGH_SCHOOL: Decimal("3000.00")}}
    )
    catalogue = catalogue_from("2016-autumn", zizhou_grant)
    given: list[BaseModel] = [student(Stage.HIGH_SCHOOL, 1, False, "610802")]
    before = granted(given, "2017-autumn", catalogue)
    given += before
    given += when(given, domain.transfer, transfer("子洲中学", "610831", boarding=False))

    after = granted(given, "2018-spring", catalogue)

    assert amounts(before)["hs_national_grant"] == "1250.00"
    assert amounts(after)["hs_national_grant"] == "1500.00"


def test_state_remembers_each_grant_and_assessment_per_term() -> None:
    given = with_grants(
        [student(Stage.PRIMARY, grade=2, boarding=True)], "2017-autumn", "2018-spring"
    )

    after = state(given)

    assert set(after.grants) == {
        ("2017-autumn", "boarding_living_allowance"),
        ("2017-autumn", "nutrition_meal_subsidy"),
        ("2018-spring", "boarding_living_allowance"),
        ("2018-spring", "nutrition_meal_subsidy"),
    }
    assert after.assessed == {
        "2017-autumn": ("boarding_living_allowance", "nutrition_meal_subsidy"),
        "2018-spring": ("boarding_living_allowance", "nutrition_meal_subsidy"),
    }
    assert (after.stage, after.grade) == (Stage.PRIMARY, 2)


def test_a_grant_does_not_change_who_the_student_is() -> None:
    registration = student(Stage.JUNIOR, grade=3, boarding=True)
    before = state([registration])

    after = domain.STUDENT.fold(granted([registration], "2017-autumn"), before)

    assert replace(after, grants={}, assessed={}) == before


# Payments --------------------------------------------------------------------------------------

PUPIL = student(Stage.PRIMARY, 3, boarding=True)
"""A primary boarder: 500.00 boarding allowance and 400.00 meal subsidy each term."""


def test_a_disbursement_run_pays_every_outstanding_grant_of_the_term_in_full() -> None:
    given = with_grants([PUPIL], "2017-autumn", "2018-spring")

    then = when(given, domain.pay_term, pay_run("2017-autumn", "ZZ-2017-10"))

    common: dict[str, Any] = {
        "student_id": STUDENT_ID,
        "term": "2017-autumn",
        "paid_on": date(2017, 10, 10),
        "channel": PaymentChannel.ONE_CARD_ACCOUNT,
        "reference": "ZZ-2017-10",
    }
    assert then == [
        AidPaid(**common, programme="boarding_living_allowance", amount=Decimal("500.00")),
        AidPaid(**common, programme="nutrition_meal_subsidy", amount=Decimal("400.00")),
    ]
    after = state([*given, *then])
    assert [g.outstanding for (t, _), g in sorted(after.grants.items()) if t == "2017-autumn"] == [
        Decimal("0.00"),
        Decimal("0.00"),
    ]


def test_the_same_disbursement_run_again_pays_nothing() -> None:
    given = with_grants([PUPIL], "2017-autumn")
    given += when(given, domain.pay_term, pay_run(reference="ZZ-2017-10"))

    assert when(given, domain.pay_term, pay_run(reference="ZZ-2017-10")) == []
    assert when(given, domain.pay_term, pay_run(reference="ZZ-2017-11")) == [], "all paid"


def test_a_disbursement_run_with_nothing_granted_pays_nothing() -> None:
    assert when([PUPIL], domain.pay_term, pay_run()) == []
    assert refused([], domain.pay_term, pay_run()) == "not_registered"


def test_a_disbursement_run_pays_what_a_partial_payment_left_outstanding() -> None:
    given = with_grants([PUPIL], "2017-autumn")
    given.append(paid(payment("200.00", "BANK-0001")))

    then = when(given, domain.pay_term, pay_run(reference="ZZ-2017-10"))

    assert [(e.programme, str(e.amount)) for e in then] == [
        ("boarding_living_allowance", "300.00"),
        ("nutrition_meal_subsidy", "400.00"),
    ]


def test_a_disbursement_run_skips_revoked_grants() -> None:
    given = with_grants([PUPIL], "2017-autumn")
    given += when(given, domain.revoke, revocation("boarding_living_allowance"))

    then = when(given, domain.pay_term, pay_run())

    assert [e.programme for e in then] == ["nutrition_meal_subsidy"]


def test_a_payment_is_recorded_against_its_grant() -> None:
    given = with_grants([PUPIL], "2017-autumn")
    command = payment("500.00", "BANK-0001")

    then = when(given, domain.pay, command)

    assert then == [
        AidPaid(
            student_id=STUDENT_ID,
            term="2017-autumn",
            programme="boarding_living_allowance",
            amount=Decimal("500.00"),
            paid_on=date(2017, 10, 12),
            channel=PaymentChannel.BANK_TRANSFER,
            reference="BANK-0001",
        )
    ]


def test_a_payment_over_what_is_outstanding_is_refused() -> None:
    given = with_grants([PUPIL], "2017-autumn")

    with pytest.raises(Rejection) as refusal:
        when(given, domain.pay, payment("500.01", "BANK-0001"))
    given.append(paid(payment("300.00", "BANK-0001")))
    partly = refused(given, domain.pay, payment("200.01", "BANK-0002"))

    assert refusal.value.code == "payment_exceeds_grant"
    assert "500.01" in refusal.value.message
    assert "500.00" in refusal.value.message
    assert partly == "payment_exceeds_grant"


def test_a_payment_reference_is_recorded_once_per_grant() -> None:
    given = with_grants([PUPIL], "2017-autumn")
    given.append(paid(payment("100.00", "BANK-0001")))

    assert refused(given, domain.pay, payment("100.00", "BANK-0001")) == "duplicate_payment"
    other_grant = payment("100.00", "BANK-0001", programme="nutrition_meal_subsidy")
    assert when(given, domain.pay, other_grant) == [paid(other_grant)]


def test_a_payment_needs_a_grant() -> None:
    given = with_grants([PUPIL], "2017-autumn")

    assert refused(given, domain.pay, payment("100.00", "B1", term="2018-spring")) == "no_grant"
    assert refused(given, domain.pay, payment("100.00", "B1", "hs_national_grant")) == "no_grant"
    assert refused([], domain.pay, payment("100.00", "B1")) == "not_registered"


def test_a_revoked_grant_is_not_paid() -> None:
    given = with_grants([PUPIL], "2017-autumn")
    given += when(given, domain.revoke, revocation())

    assert refused(given, domain.pay, payment("100.00", "BANK-0001")) == "grant_revoked"


def test_a_grant_paid_in_parts_adds_up_to_the_cent_and_no_further() -> None:
    given = with_grants([PUPIL], "2017-autumn")
    for n, part in enumerate(("166.67", "166.67", "166.66"), start=1):
        given += when(given, domain.pay, payment(part, f"BANK-000{n}"))

    grant = state(given).grants[("2017-autumn", "boarding_living_allowance")]

    assert sum(e.amount for e in given if isinstance(e, AidPaid)) == Decimal("500.00")
    assert (grant.paid, grant.outstanding) == (Decimal("500.00"), Decimal("0.00"))
    assert refused(given, domain.pay, payment("0.01", "BANK-0004")) == "payment_exceeds_grant"


# Revocation ------------------------------------------------------------------------------------


def test_an_unpaid_grant_is_revoked_with_its_amount_and_reason() -> None:
    given = with_grants([PUPIL], "2017-autumn")

    then = when(given, domain.revoke, revocation("boarding_living_allowance"))

    assert then == [
        AidGrantRevoked(
            student_id=STUDENT_ID,
            term="2017-autumn",
            programme="boarding_living_allowance",
            amount=Decimal("500.00"),
            reason="wrongly listed as a boarder",
            revoked_on=date(2017, 10, 20),
        )
    ]
    grant = state([*given, *then]).grants[("2017-autumn", "boarding_living_allowance")]
    assert (grant.revoked, grant.outstanding) == (True, Decimal("0.00"))


def test_revoking_a_revoked_grant_records_nothing() -> None:
    given = with_grants([PUPIL], "2017-autumn")
    given += when(given, domain.revoke, revocation())

    assert when(given, domain.revoke, revocation()) == []


def test_a_revoked_grant_is_not_granted_again_that_term() -> None:
    given = with_grants([PUPIL], "2017-autumn")
    given += when(given, domain.revoke, revocation())

    assert granted(given, "2017-autumn") == []


def test_a_grant_paid_even_in_part_cannot_be_revoked() -> None:
    given = with_grants([PUPIL], "2017-autumn")
    given.append(paid(payment("0.01", "BANK-0001")))

    with pytest.raises(Rejection) as refusal:
        when(given, domain.revoke, revocation())

    assert refusal.value.code == "grant_paid"
    assert "0.01" in refusal.value.message


def test_revoking_needs_a_grant() -> None:
    given = with_grants([PUPIL], "2017-autumn")

    assert refused(given, domain.revoke, revocation(term="2018-spring")) == "no_grant"
    assert refused([], domain.revoke, revocation()) == "not_registered"


# Loans and the green channel, recorded as facts ------------------------------------------------


def test_a_student_loan_and_the_green_channel_are_recorded_once() -> None:
    given = [student(Stage.UNDERGRADUATE, 1, boarding=False)]
    loan = RecordStudentLoan(
        student_id=STUDENT_ID, school_year=YEAR, amount=Decimal("8000.00"), bank="国家开发银行"
    )
    entered = RecordGreenChannel(
        student_id=STUDENT_ID, school_year=YEAR, university="西北大学", enrolled_on=date(2017, 9, 2)
    )

    (recorded,) = when(given, domain.record_loan, loan)
    (used,) = when(given, domain.record_green_channel, entered)

    assert recorded == StudentLoanRecorded(**loan.model_dump())
    assert used == GreenChannelUsed(**entered.model_dump())
    assert when([*given, recorded], domain.record_loan, loan) == []
    assert when([*given, used], domain.record_green_channel, entered) == []
    with pytest.raises(ValueError, match="8000"):
        RecordStudentLoan(
            student_id=STUDENT_ID, school_year=YEAR, amount=Decimal("8000.01"), bank="国开行"
        )
    assert refused([student(Stage.HIGH_SCHOOL, 3)], domain.record_loan, loan) == (
        "not_at_university"
    )


# A roster revision carries the school category and the programme length --------------------------


def high_school_line(category: str | None, **changes: Any) -> ReviseStudent:
    hs = revision_line(stage=Stage.HIGH_SCHOOL, grade=1, boarding=False, school="子洲中学")
    return hs.model_copy(
        update={"school_category": SchoolCategory(category) if category else None, **changes}
    )


def test_a_revision_that_moves_a_student_to_another_school_grade_records_the_category() -> None:
    given = [
        registered(
            RegisterStudent(**high_school_line("provincial").model_dump(exclude={"revision"}))
        )
    ]

    (then,) = domain.revise(state(given), high_school_line("rural"), STUDENT_ID, YEAR)

    assert isinstance(then, StudentDetailsRevised)
    assert (then.changed, then.school_category) == (["school_category"], "rural")
    assert state([*given, then]).school_category == "rural"


def test_a_revision_that_moves_a_student_to_a_rural_high_school_pays_the_rural_waiver() -> None:
    given = [
        registered(
            RegisterStudent(**high_school_line("provincial").model_dump(exclude={"revision"}))
        )
    ]
    given += domain.revise(state(given), high_school_line("rural"), STUDENT_ID, YEAR)

    assert amounts(granted(given, "2017-autumn"))["hs_tuition_waiver"] == "100.00"


def test_a_roster_line_without_a_category_keeps_the_students_while_at_the_same_school() -> None:
    """The roster file has no category column: its lines neither clear nor change one."""
    given = [
        registered(
            RegisterStudent(**high_school_line("provincial").model_dump(exclude={"revision"}))
        )
    ]
    again = RegisterStudent(**high_school_line(None).model_dump(exclude={"revision"}))

    assert domain.register(state(given), again, STUDENT_ID, YEAR) == []
    assert domain.revise(state(given), high_school_line(None), STUDENT_ID, YEAR) == []
    (moved,) = domain.revise(
        state(given), high_school_line(None, school="子洲县第三中学"), STUDENT_ID, YEAR
    )
    assert isinstance(moved, StudentDetailsRevised)
    assert (moved.changed, moved.school_category) == (["school", "school_category"], None)


def test_a_revision_recorded_before_it_carried_the_category_keeps_the_students() -> None:
    """Version 1 of StudentDetailsRevised carried no category: it changed none."""
    given = [
        registered(
            RegisterStudent(**high_school_line("provincial").model_dump(exclude={"revision"}))
        )
    ]
    old = StudentDetailsRevisedV1(
        **domain.revise(state(given), high_school_line("provincial", grade=2), STUDENT_ID, YEAR)[
            0
        ].model_dump(include=set(StudentDetailsRevisedV1.model_fields))
    )

    assert state([*given, upcast_clear(old)]).school_category == "provincial"


def upcast_clear(old: StudentDetailsRevisedV1) -> BaseModel:
    """The event as the service reads it back from its store, recorded in clear as version 1."""
    return payload_of(
        RecordedEvent(
            position=2, event_id=uuid4(), stream_id=str(STUDENT_ID), stream_type="student",
            version=2, event_type="StudentDetailsRevised", schema_version=1, county="610831",
            data=old.model_dump(mode="json"), metadata={}, recorded_at=datetime.now(UTC),
        )
    )  # fmt: skip
