"""`eduplan evaluation ...`: commands and reports of the evaluation service.

One sub-command per family: guidance (research visits), census (school statistics), balance
(balanced development), dhdu (double-high double-universal), projects and activities (high
school), evaluations (supervisory and third-party). Ids left out are derived from what the
record is (e.g. a visit from its county, institution and date), so running the same command
twice records it once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

import typer
from pydantic import BaseModel
from rich.console import Group
from rich.table import Table

from contracts.evaluation import commands as c
from contracts.evaluation.queries import GetThresholdsInForce, ThresholdsInForce
from contracts.evaluation.types import (
    ActivityKind,
    CompulsoryStage,
    EvaluationOutcome,
    EvaluationScope,
    EvaluatorKind,
    FundingSource,
    Milestone,
    Title,
    Year,
)
from contracts.files.guidance_plan import SeedError, guidance_plan
from contracts.files.statistics_census import (
    COLUMNS,
    REGISTER_COLUMNS,
    CensusFileError,
    CensusLine,
    read_census,
)
from contracts.types import CountyCode
from services.cli.common import (
    CountyOption,
    Issuer,
    JsonOption,
    OptionalCountyOption,
    Outcome,
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

SERVICE = "evaluation"
M = TypeVar("M", bound=BaseModel)

app = typer.Typer(
    help="Guidance and evaluation, and high-school development.", no_args_is_help=True
)
guidance_app = typer.Typer(help="Teaching-research guidance: expert visits.", no_args_is_help=True)
census_app = typer.Typer(help="School statistics of a year and stage.", no_args_is_help=True)
balance_app = typer.Typer(
    help="Balanced development of compulsory education.", no_args_is_help=True
)
dhdu_app = typer.Typer(help="Double-high double-universal rates.", no_args_is_help=True)
projects_app = typer.Typer(help="High-school construction projects.", no_args_is_help=True)
activities_app = typer.Typer(
    help="High-school quality-improvement activities.", no_args_is_help=True
)
evaluations_app = typer.Typer(
    help="Supervisory and third-party evaluations, outcomes, titles.", no_args_is_help=True
)
for sub, name in (
    (guidance_app, "guidance"),
    (census_app, "census"),
    (balance_app, "balance"),
    (dhdu_app, "dhdu"),
    (projects_app, "projects"),
    (activities_app, "activities"),
    (evaluations_app, "evaluations"),
):
    app.add_typer(sub, name=name)

YearOption = Annotated[int, typer.Option(help="Year, e.g. 2017.")]
OptionalYearOption = Annotated[int | None, typer.Option(help="Year; omit for every year.")]
StageOption = Annotated[CompulsoryStage, typer.Option(help="Stage: primary or junior.")]
OptionalStageOption = Annotated[CompulsoryStage | None, typer.Option(help="Stage; omit for both.")]
DateOption = Annotated[str, typer.Option("--date", help="Date, YYYY-MM-DD.")]
ExpertsOption = Annotated[
    list[str], typer.Option("--expert", help="An expert's full name; repeat for each expert.")
]
IdOption = Annotated[
    UUID | None, typer.Option(help="Id of the record; default: derived from what it is.")
]
CensusFile = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, help="Census CSV file, one school a line.")
]


def build(model: type[M], **fields: Any) -> M:
    return build_command(model, None, **fields)


def derived_id(*parts: object) -> UUID:
    return uuid5(NAMESPACE_URL, "eduplan:evaluation:" + ":".join(map(str, parts)))


def send(command: BaseModel, department: str, as_json: bool, done: str) -> None:
    send_command(SERVICE, command, department, as_json, done)


# Guidance


@guidance_app.command("adopt")
def adopt_plan(
    county: CountyOption,
    year: YearOption,
    department: str = department_option("education_science_institute"),
    as_json: JsonOption = False,
) -> None:
    """Adopt the county's guidance plan of the year (institutions and 1-2 visits each)."""
    check(county, CountyCode, "--county")
    check(year, Year, "--year")
    try:
        command = guidance_plan(county, year)
    except SeedError as exc:
        raise typer.BadParameter(str(exc), param_hint="--county") from None
    names = ", ".join(i.name for i in command.institutions)
    send(command, department, as_json, f"guidance plan {year} adopted: {names}")


def day(value: str) -> date:
    parsed: date = check(value, date, "--date")
    return parsed


def _visit(
    model: type[M], county: str, when: date, institution: str, visit_id: UUID | None, **more: Any
) -> M:
    check(county, CountyCode, "--county")
    return build(
        model,
        county=county,
        year=when.year,
        visit_id=visit_id or derived_id("visit", county, institution, when),
        institution=institution,
        **more,
    )


@guidance_app.command("plan")
def plan_visit(
    county: CountyOption,
    institution: Annotated[str, typer.Option(help="Institution id from the plan.")],
    on: DateOption,
    expert: ExpertsOption,
    topic: Annotated[list[str], typer.Option(help="Topic id; repeat for several.")],
    visit_id: IdOption = None,
    department: str = department_option("education_science_institute"),
    as_json: JsonOption = False,
) -> None:
    """Plan an expert research visit to an institution of the year's plan."""
    when = day(on)
    command = _visit(
        c.PlanResearchVisit,
        county,
        when,
        institution,
        visit_id,
        planned_on=when,
        topics=topic,
        personal={"experts": expert},
    )
    send(command, department, as_json, f"visit {command.visit_id} planned")


@guidance_app.command("record")
def record_visit(
    county: CountyOption,
    institution: Annotated[str, typer.Option(help="Institution id from the plan.")],
    on: DateOption,
    expert: ExpertsOption,
    topic: Annotated[list[str], typer.Option(help="Topic id; repeat for several.")],
    findings: Annotated[str, typer.Option(help="What the experts found and advised.")] = "",
    visit_id: IdOption = None,
    department: str = department_option("education_science_institute"),
    as_json: JsonOption = False,
) -> None:
    """Record a visit held. A visit planned for the same date is found by itself; one held on
    another date than planned needs the --visit-id printed when it was planned."""
    when = day(on)
    command = _visit(
        c.RecordResearchVisit,
        county,
        when,
        institution,
        visit_id,
        held_on=when,
        topics=topic,
        personal={"experts": expert},
        findings=findings,
    )
    send(command, department, as_json, f"visit {command.visit_id} recorded")


@guidance_app.command("cancel")
def cancel_visit(
    county: CountyOption,
    year: YearOption,
    visit_id: Annotated[UUID, typer.Option(help="The planned visit.")],
    reason: Annotated[str, typer.Option(help="Why it will not take place.")],
    department: str = department_option("education_science_institute"),
    as_json: JsonOption = False,
) -> None:
    """Call off a planned visit."""
    command = build(
        c.CancelResearchVisit, county=county, year=year, visit_id=visit_id, reason=reason
    )
    send(command, department, as_json, f"visit {visit_id} cancelled")


@guidance_app.command("report")
def visits_report(
    year: YearOption,
    county: OptionalCountyOption = None,
    missing: Annotated[bool, typer.Option(help="Only institutions with no visit yet.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Visits held per institution against the plan's target, or those with none yet."""
    check(year, Year, "--year")
    check(county, CountyCode, "--county")
    path = "institutions-without-visits" if missing else "research-visits"
    rows = fetch(f"/api/evaluation/{path}", year=str(year), county=county)
    columns = ["county", "institution", "name", "planned"]
    if not missing:
        columns += ["held", "visits_min", "visits_max", "last_held_on", "status"]
    title = f"{'Institutions without visits' if missing else 'Research visits'}, {year}"
    show(rows, as_json, lambda r: table(title, r, columns))


# Census


def census_of(county: str, year: int, stage: CompulsoryStage) -> dict[str, Any]:
    """The census a file goes to, checked before any line is read."""
    check(county, CountyCode, "--county")
    check(year, Year, "--year")
    return {"county": county, "year": year, "stage": stage}


def _census_lines(path: Path, columns: tuple[str, ...]) -> list[CensusLine]:
    try:
        return read_census(path, columns)
    except CensusFileError as exc:
        err.print(f"[red]error:[/red] {path}: {exc}; nothing was sent")
        raise typer.Exit(2) from None


def _send_lines(
    lines: Sequence[CensusLine],
    to_command: Callable[[CensusLine], BaseModel],
    issuer: Issuer,
    description: str,
) -> Outcome:
    outcome = Outcome()
    good = [ln for ln in lines if not ln.error]
    for bad in (ln for ln in lines if ln.error):
        outcome.reject_line(bad.line, bad.error)
    commands = [issuer.command(to_command(ln)) for ln in good]
    bar, advance = progress(description, len(commands))
    with bar:
        results = run(SERVICE, lambda client: send_in_batches(client, commands, advance, 100))
    for ln, result in zip(good, results, strict=True):
        outcome.tally(f"line {ln.line} ({ln.school})", result, "changed", "unchanged")
    return outcome


@census_app.command("register")
def register_schools(
    file: CensusFile,
    county: CountyOption,
    year: YearOption,
    stage: StageOption,
    department: str = department_option("supervision_office"),
    as_json: JsonOption = False,
) -> None:
    """Register the schools of a file (columns school, name) for the year's census."""
    where = census_of(county, year, stage)
    outcome = _send_lines(
        _census_lines(file, REGISTER_COLUMNS),
        lambda ln: c.RegisterCensusSchool(**where, school=ln.school, name=ln.name),
        Issuer.of(department),
        "registering",
    )
    report_outcome(
        outcome,
        as_json,
        "{changed} registered, {unchanged} already registered, {rejected} rejected",
    )


@census_app.command("submit")
def submit_statistics(
    file: CensusFile,
    county: CountyOption,
    year: YearOption,
    stage: StageOption,
    department: str = department_option("supervision_office"),
    as_json: JsonOption = False,
) -> None:
    """Submit each school's statistics of a census file; a school's figures go in once."""
    where = census_of(county, year, stage)
    outcome = _send_lines(
        _census_lines(file, COLUMNS),
        lambda ln: c.SubmitSchoolStatistics.model_validate(
            {**where, "school": ln.school, "statistics": ln.statistics}
        ),
        Issuer.of(department),
        "submitting",
    )
    report_outcome(
        outcome, as_json, "{changed} submitted, {unchanged} unchanged, {rejected} rejected"
    )


@census_app.command("correct")
def correct_statistics(
    file: CensusFile,
    county: CountyOption,
    year: YearOption,
    stage: StageOption,
    reason: Annotated[str, typer.Option(help="Why the figures are corrected.")],
    department: str = department_option("supervision_office"),
    as_json: JsonOption = False,
) -> None:
    """Correct schools' statistics; each correction is a new revision, the old one is kept."""
    where = census_of(county, year, stage)
    if not reason.strip():
        raise typer.BadParameter("say why the figures are corrected", param_hint="--reason")
    outcome = _send_lines(
        _census_lines(file, COLUMNS),
        lambda ln: c.CorrectSchoolStatistics.model_validate(
            {**where, "school": ln.school, "statistics": ln.statistics} | {"reason": reason}
        ),
        Issuer.of(department),
        "correcting",
    )
    report_outcome(
        outcome, as_json, "{changed} corrected, {unchanged} unchanged, {rejected} rejected"
    )


@census_app.command("deregister")
def deregister_school(
    county: CountyOption,
    year: YearOption,
    stage: StageOption,
    school: Annotated[str, typer.Option(help="School id.")],
    reason: Annotated[str, typer.Option(help="Why: closed, merged, a mistake.")],
    department: str = department_option("supervision_office"),
    as_json: JsonOption = False,
) -> None:
    """Take a school off the year's census list."""
    command = build(
        c.DeregisterCensusSchool,
        county=county,
        year=year,
        stage=stage,
        school=school,
        reason=reason,
    )
    send(command, department, as_json, f"{school} deregistered")


@census_app.command("status")
def census_status(
    year: YearOption,
    county: OptionalCountyOption = None,
    stage: OptionalStageOption = None,
    as_json: JsonOption = False,
) -> None:
    """Schools of the census and whether their statistics are in."""
    check(year, Year, "--year")
    check(county, CountyCode, "--county")
    rows = fetch(
        "/api/evaluation/census", year=str(year), county=county, stage=stage and stage.value
    )
    columns = ["county", "stage", "school", "name", "revision", "status"]
    show(rows, as_json, lambda r: table(f"Census {year}", r, columns))


# Balanced development


@balance_app.command("assess")
def assess_balance(
    county: CountyOption,
    year: YearOption,
    stage: StageOption,
    department: str = department_option("supervision_office"),
    as_json: JsonOption = False,
) -> None:
    """Assess the county's balance for a year and stage; refused while school data is missing."""
    command = build(c.AssessBalancedDevelopment, county=county, year=year, stage=stage)
    done = f"{stage.value} {year} assessed: see `eduplan evaluation balance report --year {year}`"
    send(command, department, as_json, done)


@balance_app.command("report")
def balance_report(
    year: YearOption,
    county: OptionalCountyOption = None,
    stage: OptionalStageOption = None,
    as_json: JsonOption = False,
) -> None:
    """Coefficient table per indicator and stage, pass/fail, and the trend across years."""
    check(year, Year, "--year")
    check(county, CountyCode, "--county")
    rows = fetch(
        "/api/evaluation/balance", year=str(year), county=county, stage=stage and stage.value
    )
    show(rows, as_json, lambda r: Group(*map(_balance_table, r)) if r else "no assessment")


def _balance_table(s: dict[str, Any]) -> Table:
    quality = {True: "met", False: "not met", None: "not assessed"}[s["quality_balance_met"]]
    composite = " → ".join(f"{t['year']}: {t['composite']}" for t in s["composite_trend"])
    title = (
        f"{s['county']} {s['stage']} {s['year']} (assessment {s['assessment']}, "
        f"{s['thresholds_id']}): composite {s['composite']} ≤ {s['composite_max']}: "
        f"basic balance {'met' if s['basic_balance_met'] else 'not met'}; quality balance "
        f"{quality}; trend {composite}"
    )
    rows = [
        i
        | {
            "trend": " → ".join(f"{t['year']}: {t['coefficient']}" for t in i["trend"]),
            "passed": {True: "yes", False: "NO", None: ""}[i["passed"]],
        }
        for i in s["indicators"]
    ]
    columns = ["indicator", "county_value", "coefficient", "quality_max", "passed", "trend"]
    return table(title, rows, columns)


@balance_app.command("thresholds")
def show_thresholds(year: YearOption, as_json: JsonOption = False) -> None:
    """The thresholds the service applies to assessments of a year."""
    check(year, Year, "--year")
    answer = run(
        SERVICE, lambda client: client.query(GetThresholdsInForce(year=year), ThresholdsInForce)
    )
    rows: list[dict[str, Any]] = [
        {
            "stage": b.stage.value,
            "id": b.id,
            "applies_from": b.applies_from,
            "composite_max": b.composite_max,
            "quality coefficient_max": b.quality.coefficient_max if b.quality else None,
        }
        for b in answer.balance
    ]
    universal = answer.dual_high_dual_universal
    if universal:
        rows += [
            {"stage": rate, "id": universal.id, "applies_from": universal.applies_from}
            | {"composite_max": f"≥ {minimum}%"}
            for rate, minimum in universal.minimum_rates.items()
        ]
    columns = ["stage", "id", "applies_from", "composite_max", "quality coefficient_max"]
    show(
        answer.model_dump(mode="json"),
        as_json,
        lambda _: table(f"Thresholds in force for {year}", rows, columns),
    )


# Double-high double-universal


@dhdu_app.command("record")
def record_rates(
    county: CountyOption,
    year: YearOption,
    rate: Annotated[
        list[str],
        typer.Option(help="NAME=PERCENT, e.g. senior_secondary_gross_enrolment=91.2; repeat."),
    ],
    source: Annotated[str, typer.Option(help="Where the figures come from.")],
    department: str = department_option("supervision_office"),
    as_json: JsonOption = False,
) -> None:
    """Record the county's rates of the year; a later record supersedes this one."""
    pairs = [r.partition("=") for r in rate]
    if any(not sep for _, sep, _ in pairs):
        raise typer.BadParameter("each rate is NAME=PERCENT", param_hint="--rate")
    rates = {name.strip(): value.strip() for name, _, value in pairs}
    command = build(
        c.RecordUniversalEducationFigures, county=county, year=year, rates=rates, source=source
    )
    send(command, department, as_json, f"{len(rates)} rates of {year} recorded")


@dhdu_app.command("assess")
def assess_universal(
    county: CountyOption,
    year: YearOption,
    department: str = department_option("supervision_office"),
    as_json: JsonOption = False,
) -> None:
    """Check the year's latest rates against the thresholds in force."""
    command = build(c.AssessDualHighDualUniversal, county=county, year=year)
    send(command, department, as_json, f"{year} assessed")


@dhdu_app.command("report")
def universal_report(
    year: YearOption, county: OptionalCountyOption = None, as_json: JsonOption = False
) -> None:
    """Latest rates and verdict per county."""
    check(year, Year, "--year")
    check(county, CountyCode, "--county")
    rows = fetch("/api/evaluation/dual-high-dual-universal", year=str(year), county=county)
    shown = [
        r
        | {
            "checks": ", ".join(
                f"{k['rate']} {k['value']} ≥ {k['minimum']}: {'yes' if k['met'] else 'NO'}"
                for k in r["checks"] or []
            )
        }
        for r in rows
    ]
    columns = ["county", "figures_revision", "thresholds_id", "checks", "met", "assessment_current"]
    show(rows, as_json, lambda _: table(f"Double-high double-universal, {year}", shown, columns))


# High-school projects and activities


@projects_app.command("propose")
def propose_project(
    county: CountyOption,
    school: Annotated[str, typer.Option(help="School id, e.g. zizhou_high_school.")],
    name: Annotated[str, typer.Option(help="Project name.")],
    funding_source: Annotated[FundingSource, typer.Option(help="Programme asked to fund it.")],
    amount: Annotated[str, typer.Option(help="Yuan asked for.")],
    on: DateOption,
    project_id: IdOption = None,
    department: str = department_option("development"),
    as_json: JsonOption = False,
) -> None:
    """Propose a construction project for a county high school."""
    command = build(
        c.ProposeHighSchoolProject,
        project_id=project_id or derived_id("project", county, school, name),
        county=county,
        school=school,
        name=name,
        funding_source=funding_source,
        amount=amount,
        proposed_on=on,
    )
    send(command, department, as_json, f"project {command.project_id} proposed")


@projects_app.command("advance")
def advance_project(
    project_id: Annotated[UUID, typer.Option(help="The project.")],
    milestone: Annotated[Milestone, typer.Option(help="Milestone reached.")],
    on: DateOption,
    funded_amount: Annotated[
        str | None, typer.Option(help="Yuan granted; with --milestone funded only.")
    ] = None,
    note: Annotated[str, typer.Option(help="Decision number, remarks.")] = "",
    department: str = department_option("development"),
    as_json: JsonOption = False,
) -> None:
    """Record that a project reached its next milestone."""
    command = build(
        c.AdvanceHighSchoolProject,
        project_id=project_id,
        milestone=milestone,
        reached_on=on,
        funded_amount=funded_amount,
        note=note,
    )
    send(command, department, as_json, f"project {project_id} {milestone.value}")


@projects_app.command("report")
def projects_report(county: OptionalCountyOption = None, as_json: JsonOption = False) -> None:
    """Projects at their latest milestone."""
    check(county, CountyCode, "--county")
    rows = fetch("/api/evaluation/high-school-projects", county=county)
    columns = ["county", "school", "name", "funding_source", "amount", "funded_amount"]
    columns += ["milestone", "milestone_on", "project_id"]
    show(rows, as_json, lambda r: table("High-school projects", r, columns))


@activities_app.command("record")
def record_activity(
    county: CountyOption,
    school: Annotated[str, typer.Option(help="School id, e.g. zizhou_high_school.")],
    kind: Annotated[ActivityKind, typer.Option(help="What kind of activity.")],
    on: DateOption,
    participants: Annotated[int, typer.Option(help="Local teachers and managers taking part.")],
    expert: ExpertsOption,
    summary: Annotated[str, typer.Option(help="What was done.")] = "",
    activity_id: IdOption = None,
    department: str = department_option("basic_ed_2"),
    as_json: JsonOption = False,
) -> None:
    """Record an expert activity improving a high school's teaching quality."""
    command = build(
        c.RecordQualityImprovementActivity,
        activity_id=activity_id or derived_id("activity", county, school, on, kind.value),
        county=county,
        school=school,
        held_on=on,
        kind=kind,
        participants=participants,
        personal={"experts": expert},
        summary=summary,
    )
    send(command, department, as_json, f"activity {command.activity_id} recorded")


@activities_app.command("report")
def activities_report(
    year: YearOption, county: OptionalCountyOption = None, as_json: JsonOption = False
) -> None:
    """Activities of the year by kind."""
    check(year, Year, "--year")
    check(county, CountyCode, "--county")
    rows = fetch("/api/evaluation/quality-activities", year=str(year), county=county)
    columns = ["county", "kind", "activities", "participants", "expert_visits"]
    show(rows, as_json, lambda r: table(f"Quality-improvement activities, {year}", r, columns))


# Supervisory and third-party evaluations


@evaluations_app.command("record")
def record_evaluation(
    county: CountyOption,
    body: Annotated[str, typer.Option(help="Who evaluated, e.g. 鼎力评估中心.")],
    kind: Annotated[EvaluatorKind, typer.Option(help="Supervision office or third party.")],
    scope: Annotated[EvaluationScope, typer.Option(help="What was evaluated.")],
    on: DateOption,
    score: Annotated[str | None, typer.Option(help="Score out of 100, if given.")] = None,
    findings: Annotated[str, typer.Option(help="Findings and recommendations.")] = "",
    evaluation_id: IdOption = None,
    department: str = department_option("supervision_office"),
    as_json: JsonOption = False,
) -> None:
    """Record an evaluation of the county (its year is the year of --date)."""
    when = day(on)
    command = build(
        c.RecordSupervisoryEvaluation,
        evaluation_id=evaluation_id or derived_id("evaluation", county, body, scope.value, when),
        county=county,
        year=when.year,
        body=body,
        body_kind=kind,
        scope=scope,
        evaluated_on=when,
        score=score,
        findings=findings,
    )
    send(command, department, as_json, f"evaluation {command.evaluation_id} recorded")


@evaluations_app.command("outcome")
def record_outcome(
    evaluation_id: Annotated[UUID, typer.Option(help="The evaluation decided on.")],
    outcome: Annotated[EvaluationOutcome, typer.Option(help="The official outcome.")],
    on: DateOption,
    decided_by: Annotated[str, typer.Option(help="Who decided.")],
    title: Annotated[Title | None, typer.Option(help="Title, with title_awarded only.")] = None,
    department: str = department_option("supervision_office"),
    as_json: JsonOption = False,
) -> None:
    """Record the official outcome of an evaluation."""
    command = build(
        c.RecordEvaluationOutcome,
        evaluation_id=evaluation_id,
        outcome=outcome,
        title=title,
        decided_on=on,
        decided_by=decided_by,
    )
    send(command, department, as_json, f"evaluation {evaluation_id}: {outcome.value}")


@evaluations_app.command("report")
def evaluations_report(
    county: OptionalCountyOption = None,
    year: OptionalYearOption = None,
    as_json: JsonOption = False,
) -> None:
    """Evaluations and third-party reports with their outcomes."""
    check(county, CountyCode, "--county")
    check(year, Year, "--year")
    rows = fetch("/api/evaluation/evaluations", county=county, year=str(year) if year else None)
    columns = ["county", "year", "body", "body_kind", "scope", "evaluated_on", "score"]
    columns += ["outcome", "title", "decided_on"]
    show(rows, as_json, lambda r: table("Evaluations", r, columns))


@app.command("titles")
def titles_report(
    county: OptionalCountyOption = None,
    year: OptionalYearOption = None,
    as_json: JsonOption = False,
) -> None:
    """Titles awarded to counties."""
    check(county, CountyCode, "--county")
    check(year, Year, "--year")
    rows = fetch("/api/evaluation/titles", county=county, year=str(year) if year else None)
    columns = ["county", "title", "year", "body", "decided_on", "decided_by"]
    show(rows, as_json, lambda r: table("Titles awarded", r, columns))


def table(title: str, rows: list[dict[str, Any]], columns: list[str]) -> Table:
    shown = Table(title=title)
    for column in columns:
        shown.add_column(column.replace("_", " "))
    for row in rows:
        shown.add_row(*("" if row.get(k) is None else str(row[k]) for k in columns))
    return shown
