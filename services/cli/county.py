"""`eduplan county ...`: take a county on as data, list the counties, show a plan, its progress.

`county adopt --plan FILE.yaml` sends, for the provincial department (`office`), the plan to the
evaluation service (AdoptCountyPlan) and each work stream's targets of the file's `targets:`
to its service (AdoptStaffingTargets, AdoptPairingTargets, AdoptGuidancePlan per year of the
plan period). Every command is idempotent: adopting the same file again records nothing, and
a changed file with `--effective-from` is a revision from that day. The services apply the new
targets to the next command; nothing is restarted.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Group

from contracts.evaluation.commands import AdoptCountyPlan, AdoptGuidancePlan
from contracts.evaluation.plan import CountyPlan, TaskTarget
from contracts.files.county_plan import PlanFileError, read_plan
from contracts.pairing.commands import AdoptPairingTargets
from contracts.staffing.commands import AdoptStaffingTargets
from services.cli import output
from services.cli.common import (
    Issuer,
    JsonOption,
    NoWaitOption,
    OptionalCountyOption,
    Outcome,
    check,
    fail,
    fetch,
    read_file,
    report_outcome,
    run,
    show,
)
from services.cli.output import View, labelled, title

app = typer.Typer(
    help="Counties as data: adopt a county's plan and targets, list them, show one, its progress.",
    no_args_is_help=True,
)

JudgedOnOption = Annotated[
    str | None,
    typer.Option(
        "--judged-on",
        help="Business date the statuses are judged on (YYYY-MM-DD); unset: the reporting "
        "API's default (today, or the county's last day of facts if they stop before this "
        "school year).",
    ),
]


def adoption_commands(
    plan: CountyPlan, effective_from: date | None = None
) -> dict[str, list[BaseModel]]:
    """Service -> the commands that adopt `plan` and its targets, from `effective_from`."""
    county, start = plan.county.code, effective_from or plan.period.start
    commands: dict[str, list[BaseModel]] = {
        "evaluation": [AdoptCountyPlan(county=county, effective_from=start, plan=plan)]
    }
    t = plan.targets
    if t.staffing is not None:
        commands["staffing"] = [
            AdoptStaffingTargets(county=county, targets=t.staffing, effective_from=start)
        ]
    if t.pairing is not None:
        commands["pairing"] = [
            AdoptPairingTargets(county=county, effective_from=start, **t.pairing.model_dump())
        ]
    if t.guidance is not None:
        commands["evaluation"] += [
            AdoptGuidancePlan(county=county, year=year, **t.guidance.model_dump())
            for year in range(max(start.year, plan.period.start.year), plan.period.end.year + 1)
        ]
    return commands


@app.command("adopt")
def adopt(
    plan_file: Annotated[
        Path,
        typer.Option(
            "--plan", dir_okay=False, help="The county's plan (YAML; README.md, 'Counties')."
        ),
    ],
    effective_from: Annotated[
        str | None,
        typer.Option(
            "--effective-from",
            help="First day the plan (or this revision) applies; unset: the plan's start.",
        ),
    ] = None,
    department: Annotated[
        str, typer.Option(help="Issuing department (default office, the provincial office).")
    ] = "office",
    as_json: JsonOption = False,
    no_wait: NoWaitOption = False,
) -> None:
    """Adopt or revise a county's plan and every work stream's targets from a plan file."""
    day = check(effective_from, date, "--effective-from")
    plan = read_file(lambda: read_plan(plan_file), PlanFileError)
    issuer = Issuer(department)
    outcome = Outcome()
    for service, commands in adoption_commands(plan, day).items():

        async def send(client: Any, commands: list[BaseModel] = commands) -> list[Any]:
            """One request per command type (a request carries commands of one subject)."""
            results = []
            for command in commands:
                results += await client.send([issuer.command(command)])
            return results

        results = run(service, send, wait=not no_wait)
        for command, result in zip(commands, results, strict=True):
            where = f"{service}: {type(command).__name__}"
            outcome.tally(where, result, "adopted", "unchanged")
    report_outcome(
        outcome,
        as_json,
        f"county {plan.county.code} ({plan.county.name}): {{adopted}} adopted, "
        "{unchanged} unchanged, {rejected} rejected",
    )


COUNTIES = View(
    "counties_title",
    "county name name_zh period_start period_end tasks revisions",
    {"revisions": lambda r: len(r["revisions"])},
)
PLAN_GOALS = View(
    "plan_goals_title",
    "id zh due title",
    rows=lambda body: body["plan"]["goals"],
    values=lambda body: {
        **body["plan"]["county"],
        "revision": body["plan"]["revision"],
        "effective_from": body["plan"]["effective_from"],
        "on": body["judged_on"],
    },
)
PLAN_TASKS = View(
    "plan_tasks_title",
    "task task_zh target baseline units",
    {
        "task": lambda t: t["id"],
        "task_zh": lambda t: t["zh"],
        "target": lambda t: TaskTarget.model_validate(t["target"]).describe(),
        "baseline": lambda t: t["baseline"] and f"{t['baseline']['value']} {t['baseline']['of']}",
    },
    rows=lambda body: body["plan"]["tasks"],
)
GOALS = View(
    "goals_title",
    "id zh due status actual",
    rows=lambda body: body["goals"],
    values=lambda body: {"on": body["judged_on"]},
)
TASKS = View(
    "tasks_title",
    "task_id task_zh target baseline actual status detail",
    rows=lambda body: body["tasks"],
    values=lambda body: {"on": body["judged_on"], "rule": labelled("rule", body["judged_on_rule"])},
)
PROVINCE = View(
    "province_tasks_title",
    "task_id done on_track behind not_started no_target",
    rows=lambda body: body["province"],
    total=True,
)


@app.command("list")
def list_counties(as_json: JsonOption = False) -> None:
    """Every county with a plan: names, period, tasks and revisions."""
    show(fetch("/api/county-plans"), as_json, COUNTIES)


@app.command("show")
def show_county(
    county: Annotated[str, typer.Option(help="County code, e.g. 610831.")],
    judged_on: JudgedOnOption = None,
    as_json: JsonOption = False,
) -> None:
    """The county's plan in force on a day: goals, tasks with targets, baselines and units."""
    body = fetch("/api/county", county=county, judged_on=judged_on)
    if body["plan"] is None:
        fail(body["message"], 1, None)
    show(body, as_json, lambda b: Group(PLAN_GOALS(b), PLAN_TASKS(b)))


@app.command("progress")
def progress_report(
    county: OptionalCountyOption = None,
    judged_on: JudgedOnOption = None,
    as_json: JsonOption = False,
) -> None:
    """Plan progress judged on one day: a county's goals and tasks, or (no --county) every
    county compared task by task."""
    body = fetch("/api/plan-progress", county=county, judged_on=judged_on)
    if body.get("message"):
        fail(body["message"], 1, None)
    show(body, as_json, _progress_tables)


def _progress_tables(body: dict[str, Any]) -> Group:
    if body["county"] is not None:
        return Group(GOALS(body), TASKS(body))
    ids = sorted({r["task_id"] for r in body["tasks"]}, key=_task_order)
    rows = [{"county": c["county"], "name": c["name"], **c["statuses"]} for c in body["counties"]]
    heading = title("counties_tasks_title", on=body["judged_on"])
    return Group(output.table(heading, rows, ["county", "name", *ids]), PROVINCE(body))


def _task_order(task_id: str) -> tuple[int, int, str]:
    major, _, minor = task_id.partition(".")
    return int(major), int(minor.rstrip("abcdefghijklmnopqrstuvwxyz") or 0), minor
