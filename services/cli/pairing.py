"""`eduplan pairing ...`: commands and reports of the pairing service.

One verb per command family: `seed` and `targets`, `pair establish|suspend|resume|end`,
`second`, `shadow`, `share teachers|lesson|visit|resource`, `school-system
milestone|assessment`, and `report pairs|county|shadowing`. Options are checked against the
contracts before anything is sent (a bad value is exit status 2, naming the option); a
rejected command is exit status 1.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar
from uuid import UUID, uuid4

import typer
from pydantic import BaseModel
from rich.table import Table

from contracts.pairing.commands import (
    AdoptPairingTargets,
    AgreeTeacherPairing,
    EndPair,
    EstablishPair,
    RecordExchangeVisit,
    RecordModelLesson,
    RecordSchoolSystemMilestone,
    RecordShadowing,
    RecordStandardisedAssessment,
    ResumePair,
    SecondManager,
    ShareTeachingResource,
    SuspendPair,
)
from contracts.types import CountyCode
from services.cli.common import (
    CountyOption,
    Issuer,
    JsonOption,
    NoWaitOption,
    OptionalCountyOption,
    Outcome,
    Progressed,
    build_command,
    check,
    department_option,
    err,
    fetch,
    progress,
    report_outcome,
    run,
    send_command,
    send_in_batches,
    show,
)
from services.pairing.seed import PILOT_SEED, Seed, SeedError, load_seed
from shared.commandbus import CommandClient

SERVICE = "pairing"
C = TypeVar("C", bound=BaseModel)

app = typer.Typer(
    help="School pairing: pairs, secondments, shadowing, shared resources.", no_args_is_help=True
)
pair_app = typer.Typer(help="Pairs: establish, suspend, resume, end.", no_args_is_help=True)
share_app = typer.Typer(
    help="Shared teaching: teacher pairing plans, model lessons, exchange visits, resources.",
    no_args_is_help=True,
)
system_app = typer.Typer(
    help="The helped school's modern school system: milestones, assessments passed.",
    no_args_is_help=True,
)
report_app = typer.Typer(help="Pairing reports from the projection service.", no_args_is_help=True)
app.add_typer(pair_app, name="pair")
app.add_typer(share_app, name="share")
app.add_typer(system_app, name="school-system")
app.add_typer(report_app, name="report")

SchoolOption = Annotated[
    str, typer.Option("--school", help="Helped school id, e.g. dalihe_primary.")
]
StageOption = Annotated[
    str,
    typer.Option(
        help="Stage of the pair: kindergarten/preschool, primary, middle/junior, high_school."
    ),
]
OnOption = Annotated[str, typer.Option("--on", help="Day, YYYY-MM-DD.")]
StartOption = Annotated[str, typer.Option("--start", help="First day, YYYY-MM-DD.")]
EndOption = Annotated[str, typer.Option("--end", help="Last day (inclusive), YYYY-MM-DD.")]
SubjectOption = Annotated[str, typer.Option(help="Subject, e.g. mathematics, early_childhood.")]
WeakOption = Annotated[
    bool, typer.Option("--weak-subject", help="The subject is weak at the helped school.")
]
IdOption = Annotated[
    str | None, typer.Option("--id", help="Record id (UUID); give the same one to record once.")
]
DayOption = Annotated[str | None, typer.Option("--on", help="Day to count on; default today.")]

STAGE_ALIASES = {"kindergarten": "preschool", "middle": "junior", "middle_school": "junior"}
FIELD_OPTIONS = {
    "helped_school_id": "--school",
    "helped_school_name": "--school-name",
    "helper_school_id": "--helper",
    "helper_school_name": "--helper-name",
    "responsible_division": "--division",
    "start_date": "--start",
    "end_date": "--end",
    "exception_reason": "--reason",
    "personal.name": "--name",
    "personal.helper_teacher_name": "--helper-teacher",
    "personal.helped_teacher_name": "--helped-teacher",
    **dict.fromkeys(
        ("on", "agreed_on", "given_on", "shared_on", "achieved_on", "passed_on"), "--on"
    ),
    **dict.fromkeys(
        ("secondment_id", "shadowing_id", "plan_id", "lesson_id", "visit_id", "resource_id"),
        "--id",
    ),
}


def build(model: type[C], **fields: Any) -> C:
    return build_command(model, FIELD_OPTIONS, **fields)


def _pair(county: str, school: str, stage: str) -> dict[str, str]:
    return {
        "county": county,
        "helped_school_id": school,
        "stage": STAGE_ALIASES.get(stage, stage),
    }


def _record_id(value: str | None) -> UUID | str:
    return uuid4() if value is None else value


def _send(payload: BaseModel, department: str, as_json: bool, done: str) -> None:
    send_command(SERVICE, payload, department, as_json, done)


# Seed and targets


@app.command()
def seed(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="Seed file (TOML) of pairs.")
    ] = PILOT_SEED,
    department: str = department_option("basic_ed_1"),
    as_json: JsonOption = False,
    no_wait: NoWaitOption = False,
) -> None:
    """Adopt the county's targets and establish the seed's pairs; a rerun changes nothing.

    Without a file, the pilot's 7 pairs (services/pairing/pilot_pairs.toml).
    """
    try:
        loaded = load_seed(file)
    except SeedError as exc:
        err.print(f"[red]error:[/red] {exc}; nothing was sent", highlight=False)
        raise typer.Exit(2) from None
    issuer = Issuer.of(department)
    bar, advance = progress("establishing pairs", len(loaded.pairs) + 1)
    with bar:
        outcome = run(
            SERVICE, lambda client: send_seed(client, loaded, issuer, advance), wait=not no_wait
        )
    report_outcome(
        outcome,
        as_json,
        "{established} pairs established, {unchanged} already established, {rejected} rejected; "
        "targets: {targets_adopted} adopted, {targets_unchanged} unchanged",
    )


async def send_seed(
    client: CommandClient,
    loaded: Seed,
    issuer: Issuer,
    advance: Progressed,
    targets: AdoptPairingTargets | None = None,
) -> Outcome:
    """Adopt `targets` (by default: the seed's pairs are the county's target) and the pairs."""
    outcome = Outcome()
    targets = targets or AdoptPairingTargets(county=loaded.county, active_pairs=len(loaded.pairs))
    (adopted,) = await client.send([issuer.command(targets)])
    outcome.tally(f"targets of {loaded.county}", adopted, "targets_adopted", "targets_unchanged")
    advance(1)
    commands = [issuer.command(p) for p in loaded.pairs]
    for pair, result in zip(
        loaded.pairs, await send_in_batches(client, commands, advance), strict=True
    ):
        where = f"{pair.helped_school_id}:{pair.stage.value}"
        outcome.tally(where, result, "established", "unchanged")
    return outcome


@app.command()
def targets(
    county: CountyOption,
    department: str = department_option("basic_ed_1"),
    as_json: JsonOption = False,
) -> None:
    """Adopt the county's pairing targets from the service's targets file, for the reports."""
    payload = build(AdoptPairingTargets, county=county)
    _send(payload, department, as_json, f"targets of {county} adopted")


# Pairs


@pair_app.command("establish")
def establish(
    county: CountyOption,
    school: SchoolOption,
    school_name: Annotated[str, typer.Option(help="Name of the helped school.")],
    stage: StageOption,
    helper: Annotated[str, typer.Option(help="Helper school id.")],
    helper_name: Annotated[str, typer.Option(help="Name of the helper school.")],
    division: Annotated[str, typer.Option(help="Responsible division, e.g. basic_ed_1.")],
    start: StartOption,
    department: str = department_option("basic_ed_1"),
    as_json: JsonOption = False,
) -> None:
    """Pair a helper school with a helped school at one stage."""
    payload = build(
        EstablishPair,
        **_pair(county, school, stage),
        helped_school_name=school_name,
        helper_school_id=helper,
        helper_school_name=helper_name,
        responsible_division=division,
        start_date=start,
    )
    _send(payload, department, as_json, f"{school} paired with {helper}")


@pair_app.command("suspend")
def suspend(
    county: CountyOption,
    school: SchoolOption,
    stage: StageOption,
    on: OnOption,
    reason: Annotated[str, typer.Option(help="Why the pair is suspended.")],
    department: str = department_option("basic_ed_1"),
    as_json: JsonOption = False,
) -> None:
    """Pause the school's pair at the stage; it still holds the stage."""
    payload = build(SuspendPair, **_pair(county, school, stage), on=on, reason=reason)
    _send(payload, department, as_json, f"pair of {school} suspended")


@pair_app.command("resume")
def resume(
    county: CountyOption,
    school: SchoolOption,
    stage: StageOption,
    on: OnOption,
    department: str = department_option("basic_ed_1"),
    as_json: JsonOption = False,
) -> None:
    """Take up a suspended pair again."""
    payload = build(ResumePair, **_pair(county, school, stage), on=on)
    _send(payload, department, as_json, f"pair of {school} resumed")


@pair_app.command("end")
def end(
    county: CountyOption,
    school: SchoolOption,
    stage: StageOption,
    on: OnOption,
    reason: Annotated[str, typer.Option(help="Why the pair ends.")],
    department: str = department_option("basic_ed_1"),
    as_json: JsonOption = False,
) -> None:
    """End the school's pair at the stage; another helper may then be paired."""
    payload = build(EndPair, **_pair(county, school, stage), on=on, reason=reason)
    _send(payload, department, as_json, f"pair of {school} ended")


# People


@app.command()
def second(
    county: CountyOption,
    school: SchoolOption,
    stage: StageOption,
    name: Annotated[str, typer.Option(help="The seconded manager's name.")],
    role: Annotated[str, typer.Option(help="Post, e.g. vice_principal, academic_director.")],
    direction: Annotated[str, typer.Option(help="helper_to_helped or helped_to_helper.")],
    start: StartOption,
    end: EndOption,
    form: Annotated[str, typer.Option(help="Agreed form, e.g. full-time on site.")],
    content: Annotated[str, typer.Option(help="Agreed content.")],
    record_id: IdOption = None,
    department: str = department_option("personnel"),
    as_json: JsonOption = False,
) -> None:
    """Second a manager between the paired schools; a side's 4th at a time is refused."""
    payload = build(
        SecondManager,
        **_pair(county, school, stage),
        start_date=start,
        end_date=end,
        secondment_id=_record_id(record_id),
        direction=direction,
        role=role,
        form=form,
        content=content,
        personal={"name": name},
    )
    _send(payload, department, as_json, f"{role} seconded {direction}")


@app.command()
def shadow(
    county: CountyOption,
    school: SchoolOption,
    stage: StageOption,
    name: Annotated[str, typer.Option(help="The shadowing teacher's name.")],
    subject: SubjectOption,
    start: StartOption,
    end: EndOption,
    reason: Annotated[
        str | None, typer.Option(help="Required when the period is outside the target months.")
    ] = None,
    record_id: IdOption = None,
    department: str = department_option("basic_ed_1"),
    as_json: JsonOption = False,
) -> None:
    """Record a county teacher shadowing at the helper school (target 1-2 months)."""
    payload = build(
        RecordShadowing,
        **_pair(county, school, stage),
        start_date=start,
        end_date=end,
        shadowing_id=_record_id(record_id),
        subject=subject,
        exception_reason=reason,
        personal={"name": name},
    )
    _send(payload, department, as_json, "shadowing recorded")


# Shared teaching


@share_app.command("teachers")
def share_teachers(
    county: CountyOption,
    school: SchoolOption,
    stage: StageOption,
    helper_teacher: Annotated[str, typer.Option(help="Teacher of the helper school.")],
    helped_teacher: Annotated[str, typer.Option(help="Teacher of the helped school.")],
    subject: SubjectOption,
    on: OnOption,
    goal: Annotated[str, typer.Option(help="What the pairing should achieve.")],
    weak_subject: WeakOption = False,
    record_id: IdOption = None,
    department: str = department_option("basic_ed_1"),
    as_json: JsonOption = False,
) -> None:
    """Record a teacher-to-teacher pairing plan."""
    payload = build(
        AgreeTeacherPairing,
        **_pair(county, school, stage),
        plan_id=_record_id(record_id),
        subject=subject,
        weak_subject=weak_subject,
        agreed_on=on,
        goal=goal,
        personal={"helper_teacher_name": helper_teacher, "helped_teacher_name": helped_teacher},
    )
    _send(payload, department, as_json, "teacher pairing recorded")


@share_app.command("lesson")
def share_lesson(
    county: CountyOption,
    school: SchoolOption,
    stage: StageOption,
    name: Annotated[str, typer.Option(help="The teacher who gave the lesson.")],
    given_by: Annotated[str, typer.Option(help="subject_leader or key_teacher.")],
    subject: SubjectOption,
    on: OnOption,
    title: Annotated[str, typer.Option(help="Title or topic.")],
    weak_subject: WeakOption = False,
    record_id: IdOption = None,
    department: str = department_option("basic_ed_1"),
    as_json: JsonOption = False,
) -> None:
    """Record a model lesson given by a teacher of the helper school."""
    payload = build(
        RecordModelLesson,
        **_pair(county, school, stage),
        lesson_id=_record_id(record_id),
        subject=subject,
        weak_subject=weak_subject,
        given_on=on,
        title=title,
        given_by=given_by,
        personal={"name": name},
    )
    _send(payload, department, as_json, "model lesson recorded")


@share_app.command("visit")
def share_visit(
    county: CountyOption,
    school: SchoolOption,
    stage: StageOption,
    direction: Annotated[str, typer.Option(help="helper_to_helped or helped_to_helper.")],
    subject: SubjectOption,
    start: StartOption,
    end: EndOption,
    participants: Annotated[int, typer.Option(help="Teachers who went.")],
    purpose: Annotated[str, typer.Option(help="What the visit was for.")],
    weak_subject: WeakOption = False,
    record_id: IdOption = None,
    department: str = department_option("basic_ed_1"),
    as_json: JsonOption = False,
) -> None:
    """Record an exchange visit between the paired schools."""
    payload = build(
        RecordExchangeVisit,
        **_pair(county, school, stage),
        start_date=start,
        end_date=end,
        visit_id=_record_id(record_id),
        direction=direction,
        subject=subject,
        weak_subject=weak_subject,
        participants=participants,
        purpose=purpose,
    )
    _send(payload, department, as_json, "exchange visit recorded")


@share_app.command("resource")
def share_resource(
    county: CountyOption,
    school: SchoolOption,
    stage: StageOption,
    kind: Annotated[str, typer.Option(help="courseware or teaching_result.")],
    title: Annotated[str, typer.Option(help="Title of the resource.")],
    subject: SubjectOption,
    for_stage: Annotated[str, typer.Option(help="Stage the resource is for.")],
    on: OnOption,
    record_id: IdOption = None,
    department: str = department_option("basic_ed_1"),
    as_json: JsonOption = False,
) -> None:
    """Record courseware or a teaching result shared with the helped school."""
    payload = build(
        ShareTeachingResource,
        **_pair(county, school, stage),
        resource_id=_record_id(record_id),
        kind=kind,
        title=title,
        subject=subject,
        for_stage=STAGE_ALIASES.get(for_stage, for_stage),
        shared_on=on,
    )
    _send(payload, department, as_json, f"{kind} shared")


# Modern school system


@system_app.command("milestone")
def milestone(
    county: CountyOption,
    school: SchoolOption,
    name: Annotated[
        str,
        typer.Option(
            "--milestone",
            help="rule_of_law_governance, self_management, democratic_oversight or "
            "community_participation.",
        ),
    ],
    on: OnOption,
    evidence: Annotated[str, typer.Option(help="Where the evidence is.")],
    department: str = department_option("policy_regulations"),
    as_json: JsonOption = False,
) -> None:
    """Record a milestone of the helped school's modern school system."""
    payload = build(
        RecordSchoolSystemMilestone,
        county=county,
        helped_school_id=school,
        milestone=name,
        achieved_on=on,
        evidence=evidence,
    )
    _send(payload, department, as_json, f"{name} recorded for {school}")


@system_app.command("assessment")
def assessment(
    county: CountyOption,
    school: SchoolOption,
    level: Annotated[str, typer.Option(help="province or city.")],
    on: OnOption,
    department: str = department_option("policy_regulations"),
    as_json: JsonOption = False,
) -> None:
    """Record a standardised-school assessment the helped school passed."""
    payload = build(
        RecordStandardisedAssessment,
        county=county,
        helped_school_id=school,
        level=level,
        passed_on=on,
    )
    _send(payload, department, as_json, f"{level} assessment recorded for {school}")


# Reports


@report_app.command("pairs")
def report_pairs(
    county: OptionalCountyOption = None, on: DayOption = None, as_json: JsonOption = False
) -> None:
    """Every pair: status, managers seconded per side on the day against 1-3, shadowing,
    lessons, resources, milestones. Pairs with a side below the minimum are shown in red."""
    check(county, CountyCode, "--county")
    check(on, date, "--on")
    rows = fetch("/api/pairing/pairs", county=county, on=on)
    show(rows, as_json, pairs_table)


@report_app.command("county")
def report_county(
    county: OptionalCountyOption = None, on: DayOption = None, as_json: JsonOption = False
) -> None:
    """Pairs active against the plan's target, and what they did; the province if no county."""
    check(county, CountyCode, "--county")
    check(on, date, "--on")
    summary = fetch("/api/pairing/county", county=county, on=on)
    show(summary, as_json, county_table)


@report_app.command("shadowing")
def report_shadowing(
    county: OptionalCountyOption = None,
    outside_target_only: Annotated[
        bool, typer.Option("--outside-target-only", help="Only the flagged periods.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Shadowing periods with the teacher; periods outside the target months are flagged."""
    check(county, CountyCode, "--county")
    flag = "true" if outside_target_only else None
    rows = fetch("/api/pairing/shadowing", county=county, outside_target_only=flag)
    show(rows, as_json, shadowing_table)


def pairs_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="School pairs")
    for column in (
        "helped school",
        "stage",
        "helper school",
        "status",
        "managers →helped",
        "managers →helper",
        "shadowing (flagged)",
        "model lessons (weak)",
        "visits",
        "plans",
        "resources",
        "milestones",
        "assessments",
    ):
        table.add_column(column)
    for r in rows:
        s = r["secondments"]
        target = s["target"] or {"min": "?", "max": "?"}
        sides = [
            f"{s[side]['on_day']} of {target['min']}-{target['max']}"
            for side in ("helper_to_helped", "helped_to_helper")
        ]
        table.add_row(
            r["helped_school"]["name"],
            r["stage"],
            r["helper_school"]["name"],
            r["status"],
            *sides,
            f"{r['shadowing']['periods']} ({r['shadowing']['outside_target']})",
            f"{r['lessons']['model_lessons']} ({r['lessons']['weak_subject_model_lessons']})",
            str(r["lessons"]["exchange_visits"]),
            str(r["teacher_pairings"]["plans"]),
            str(sum(r["resources"].values())),
            f"{len(r['milestones'])} of 4",
            ", ".join(a["level"] for a in r["assessments"]) or "-",
            style="bold red" if s["sides_below_minimum"] else None,
        )
    return table


def county_table(summary: dict[str, Any]) -> Table:
    where = f"county {summary['county']}" if summary["county"] else "province"
    table = Table(title=f"School pairing, {where}, on {summary['on']}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in summary.items():
        if key not in ("county", "on"):
            table.add_row(key.replace("_", " "), "-" if value is None else str(value))
    return table


def shadowing_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Shadowing at helper schools")
    for column in ("teacher", "helped school", "host", "subject", "period", "months", "reason"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["teacher_name"] or "(shredded)",
            r["helped_school_id"],
            r["host_school_id"],
            r["subject"],
            f"{r['start_date']}..{r['end_date']}",
            r["months"],
            r["exception_reason"] or "",
            style="bold red" if r["flagged"] else None,
        )
    return table
