"""`eduplan evaluation ...`: commands and reports of the evaluation service.

Every command of the evaluation contracts is a sub-command, its options made from the
contract (see contract_cli.py): guidance (research visits), census (school statistics),
balance (balanced development), dhdu (double-high double-universal), projects and activities
(high school), evaluations (supervisory and third-party). Ids left out are derived from what
the record is (e.g. a visit from its county, institution and date), so running the same
command twice records it once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from uuid import NAMESPACE_URL, UUID, uuid5

import typer
from pydantic import BaseModel
from rich.console import Group

from contracts.evaluation import commands as c
from contracts.evaluation.queries import GetThresholdsInForce, ThresholdsInForce
from contracts.evaluation.types import CompulsoryStage, Year
from contracts.files.guidance_plan import SeedError, guidance_plan
from contracts.files.statistics_census import (
    COLUMNS,
    REGISTER_COLUMNS,
    CensusFileError,
    read_census,
)
from contracts.types import CountyCode
from services.cli.common import (
    CountyOption,
    Issuer,
    JsonOption,
    Outcome,
    Progressed,
    batch,
    check,
    department_option,
    fetch,
    good_lines,
    read_file,
    run,
    send_command,
    send_in_batches,
    show,
)
from services.cli.contract_cli import Param, Report, Stream, Verb, add_stream, with_options
from services.cli.output import Row, View, labelled
from shared.commandbus import CommandClient

SERVICE = "evaluation"
GUIDANCE = "education_science_institute"
YearOption = Annotated[int, typer.Option(help="Year, e.g. 2017.")]
StageOption = Annotated[CompulsoryStage, typer.Option(help="Stage: primary or junior.")]
CensusFile = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, help="Census CSV file, one school a line.")
]
COUNTY = Param("county", CountyCode, "County code; omit for the province.")
YEAR = Param("year", Year, "Year, e.g. 2017.", required=True)
ANY_YEAR = Param("year", Year, "Year; omit for every year.")
STAGE = Param("stage", CompulsoryStage, "Stage: primary or junior; omit for both.")


def derived_id(*parts: object) -> UUID:
    return uuid5(NAMESPACE_URL, "eduplan:evaluation:" + ":".join(map(str, parts)))


def _derive(
    id_field: str, kind: str, *parts: str, year_of: str | None = None
) -> Callable[[dict[str, Any]], None]:
    """Fill the record's id from what it is (so a rerun records it once) and, for records of
    a year, the year from their date."""

    def fill(fields: dict[str, Any]) -> None:
        if year_of:
            fields["year"] = check(fields.get(year_of), date, "--date").year
        if id_field not in fields:
            fields[id_field] = derived_id(kind, *(fields.get(p) for p in parts))

    return fill


def _rate(item: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep:
        raise typer.BadParameter("each rate is NAME=PERCENT", param_hint="--rate")
    return name.strip(), value.strip()


def _visit(model: type[BaseModel], name: str, done: str, on: str) -> Verb:
    fill = _derive("visit_id", "visit", "county", "institution", on, year_of=on)
    return Verb(
        model, name, done, department=GUIDANCE, hidden=("year",), optional=("visit_id",), fill=fill
    )


_PROJECT_COLUMNS = "county school name funding_source amount funded_amount milestone milestone_on"
_PROJECT_COLUMNS += " project_id"
_EVALUATION_COLUMNS = "county year body body_kind scope evaluated_on score outcome title decided_on"
VISITS = View(
    "visits_title",
    "county institution name planned held visits_min visits_max last_held_on status",
)
MISSING_VISITS = View("missing_visits_title", "county institution name planned")
THRESHOLDS = View("thresholds_title", "stage id applies_from composite_max quality_max")


def _checks(row: Row) -> str:
    checks = row["checks"] or []
    return ", ".join(f"{k['rate']} {k['value']} ≥ {k['minimum']} {_MET[k['met']]}" for k in checks)


_MET = {True: "✓", False: "✗", None: ""}
BALANCE = View(
    "balance_title",
    "indicator county_value coefficient quality_max passed trend",
    {
        "trend": lambda i: " → ".join(f"{t['year']}: {t['coefficient']}" for t in i["trend"]),
        "passed": lambda i: _MET[i["passed"]],
    },
    rows=lambda s: s["indicators"],
    values=lambda s: (
        s
        | {
            "stage": labelled("stage", s["stage"]),
            "basic": _MET[s["basic_balance_met"]],
            "quality": _MET[s["quality_balance_met"]] or "-",
            "trend": " → ".join(f"{t['year']}: {t['composite']}" for t in s["composite_trend"]),
        }
    ),
)


STREAM = Stream(
    SERVICE,
    department="supervision_office",
    options={
        "topics": "--topic",
        "personal.experts": "--expert",
        "body_kind": "--kind",
        "rates": "--rate",
        **dict.fromkeys(
            (
                "planned_on",
                "held_on",
                "proposed_on",
                "reached_on",
                "evaluated_on",
                "decided_on",
            ),
            "--date",
        ),
    },
    groups={
        "guidance": "Teaching-research guidance: expert visits.",
        "census": "School statistics of a year and stage.",
        "balance": "Balanced development of compulsory education.",
        "dhdu": "Double-high double-universal rates.",
        "projects": "High-school construction projects.",
        "activities": "High-school quality-improvement activities.",
        "evaluations": "Supervisory and third-party evaluations, outcomes, titles.",
    },
    skip=(
        c.AdoptGuidancePlan,
        c.RegisterCensusSchool,
        c.SubmitSchoolStatistics,
        c.CorrectSchoolStatistics,
    ),
    verbs=(
        _visit(c.PlanResearchVisit, "guidance plan", "visit {visit_id} planned", "planned_on"),
        _visit(c.RecordResearchVisit, "guidance record", "visit {visit_id} recorded", "held_on"),
        Verb(
            c.CancelResearchVisit,
            "guidance cancel",
            "visit {visit_id} cancelled",
            department=GUIDANCE,
        ),
        Verb(c.DeregisterCensusSchool, "census deregister", "{school} deregistered"),
        Verb(
            c.AssessBalancedDevelopment,
            "balance assess",
            "{stage} {year} assessed: see `eduplan evaluation balance report --year {year}`",
        ),
        Verb(
            c.RecordUniversalEducationFigures,
            "dhdu record",
            "rates of {year} recorded",
            convert={"rates": _rate},
        ),
        Verb(c.AssessDualHighDualUniversal, "dhdu assess", "{year} assessed"),
        Verb(
            c.ProposeHighSchoolProject,
            "projects propose",
            "project {project_id} proposed",
            department="development",
            optional=("project_id",),
            fill=_derive("project_id", "project", "county", "school", "name"),
        ),
        Verb(
            c.AdvanceHighSchoolProject,
            "projects advance",
            "project {project_id} {milestone}",
            department="development",
        ),
        Verb(
            c.RecordQualityImprovementActivity,
            "activities record",
            "activity {activity_id} recorded",
            department="basic_ed_2",
            optional=("activity_id",),
            fill=_derive("activity_id", "activity", "county", "school", "held_on", "kind"),
        ),
        Verb(
            c.RecordSupervisoryEvaluation,
            "evaluations record",
            "evaluation {evaluation_id} recorded",
            hidden=("year",),
            optional=("evaluation_id",),
            fill=_derive(
                "evaluation_id",
                "evaluation",
                "county",
                "body",
                "scope",
                "evaluated_on",
                year_of="evaluated_on",
            ),
        ),
        Verb(
            c.RecordEvaluationOutcome,
            "evaluations outcome",
            "evaluation {evaluation_id}: {outcome}",
        ),
    ),
    reports=(
        Report(
            "census status",
            "/api/evaluation/census",
            "Schools of the census and whether their statistics are in.",
            (YEAR, COUNTY, STAGE),
            View("census_title", "county stage school name revision status"),
        ),
        Report(
            "balance report",
            "/api/evaluation/balance",
            "Coefficient table per indicator and stage, pass/fail, and the trend across years.",
            (YEAR, COUNTY, STAGE),
            lambda r, _: Group(*map(BALANCE, r)) if r else "-",
        ),
        Report(
            "dhdu report",
            "/api/evaluation/dual-high-dual-universal",
            "Latest rates and verdict per county.",
            (YEAR, COUNTY),
            View(
                "dhdu_title",
                "county figures_revision thresholds_id checks met assessment_current",
                {"checks": _checks},
            ),
        ),
        Report(
            "projects report",
            "/api/evaluation/high-school-projects",
            "Projects at their latest milestone.",
            (COUNTY,),
            View("projects_title", _PROJECT_COLUMNS),
        ),
        Report(
            "activities report",
            "/api/evaluation/quality-activities",
            "Activities of the year by kind.",
            (YEAR, COUNTY),
            View("activities_title", "county kind activities participants expert_visits"),
        ),
        Report(
            "evaluations report",
            "/api/evaluation/evaluations",
            "Evaluations and third-party reports with their outcomes.",
            (COUNTY, ANY_YEAR),
            View("evaluations_title", _EVALUATION_COLUMNS),
        ),
        Report(
            "titles",
            "/api/evaluation/titles",
            "Titles awarded to counties.",
            (COUNTY, ANY_YEAR),
            View("titles_title", "county title year body decided_on decided_by"),
        ),
    ),
)
app = typer.Typer(
    help="Guidance and evaluation, and high-school development.", no_args_is_help=True
)
groups = add_stream(app, STREAM)
guidance_app, census_app, balance_app = groups["guidance"], groups["census"], groups["balance"]


@guidance_app.command("report")
def visits_report(
    year: YearOption,
    county: Annotated[str | None, typer.Option(help="County code; omit for the province.")] = None,
    missing: Annotated[bool, typer.Option(help="Only institutions with no visit yet.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Visits held per institution against the plan's target, or those with none yet."""
    check(year, Year, "--year")
    check(county, CountyCode, "--county")
    path = "institutions-without-visits" if missing else "research-visits"
    rows = fetch(f"/api/evaluation/{path}", year=str(year), county=county)
    view = MISSING_VISITS if missing else VISITS
    show(rows, as_json, lambda r: view(r, {"year": year, "county": county}))


def send(command: BaseModel, department: str, as_json: bool, done: str) -> None:
    send_command(SERVICE, command, department, as_json, done)


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


def _census(
    model: type[BaseModel], columns: tuple[str, ...], doing: str, headline: str, *extra: Param
) -> Any:
    """A command sending `model` for each school of a census file; bad lines are rejected,
    and the census is checked before any line is read."""

    @with_options(extra, "given")
    def send_census(
        file: CensusFile,
        county: CountyOption,
        year: YearOption,
        stage: StageOption,
        given: dict[str, Any],
        department: str = department_option("supervision_office"),
        as_json: JsonOption = False,
    ) -> None:
        check(county, CountyCode, "--county")
        check(year, Year, "--year")
        census = {"county": county, "year": year, "stage": stage} | given
        if "reason" in given and not given["reason"].strip():
            raise typer.BadParameter("say why the figures are corrected", param_hint="--reason")
        lines = read_file(lambda: read_census(file, columns), CensusFileError, where=f"{file}: ")
        outcome, good = good_lines(lines, lambda _: None)
        school = ("school", "name", "statistics")
        commands = [
            Issuer(department).command(
                model.model_validate(
                    census | {k: getattr(ln, k) for k in school if k in model.model_fields}
                )
            )
            for ln in good
        ]

        async def work(client: CommandClient, bar: Progressed) -> Outcome:
            results = await send_in_batches(client, commands, bar, 100)
            wheres = (f"line {ln.line} ({ln.school})" for ln in good)
            outcome.tally_all(wheres, results, "changed", "unchanged")
            return outcome

        batch(SERVICE, doing, len(commands), work, as_json, headline)

    return send_census


for verb, help_, model, columns, doing, headline, extra in (
    (
        "register",
        "Register the schools of a file (columns school, name) for the year's census.",
        c.RegisterCensusSchool,
        REGISTER_COLUMNS,
        "registering",
        "{changed} registered, {unchanged} already registered, {rejected} rejected",
        (),
    ),
    (
        "submit",
        "Submit each school's statistics of a census file; a school's figures go in once.",
        c.SubmitSchoolStatistics,
        COLUMNS,
        "submitting",
        "{changed} submitted, {unchanged} unchanged, {rejected} rejected",
        (),
    ),
    (
        "correct",
        "Correct schools' statistics; each correction is a new revision, the old one is kept.",
        c.CorrectSchoolStatistics,
        COLUMNS,
        "correcting",
        "{changed} corrected, {unchanged} unchanged, {rejected} rejected",
        (Param("reason", str, "Why the figures are corrected.", required=True),),
    ),
):
    census_app.command(verb, help=help_)(_census(model, columns, doing, headline, *extra))


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
            "quality_max": b.quality.coefficient_max if b.quality else None,
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
    show(answer.model_dump(mode="json"), as_json, lambda _: THRESHOLDS(rows, {"year": year}))
