"""`eduplan pairing ...`: commands and reports of the pairing service.

Every command of the pairing contracts is a sub-command, its options made from the contract
(see contract_cli.py): `pair establish|suspend|resume|end`, `second`, `shadow`,
`share teachers|lesson|visit|resource`, `school-system milestone|assessment`; `seed` sends a
seed file of pairs, and `report pairs|county|shadowing` reads the reports. Record ids are
UUIDs (`--id`), made up when left out: give the same one to record once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import typer

from contracts.files.pairing_seed import PILOT_SEED, Seed, SeedError, load_seed
from contracts.pairing import commands as c
from contracts.types import CountyCode
from services.cli.common import (
    Issuer,
    Outcome,
    Progressed,
    send_in_batches,
)
from services.cli.contract_cli import FileBatch, Param, Report, Stream, Verb, add_stream
from services.cli.output import Row, View, labelled, lang
from shared import i18n
from shared.commandbus import CommandClient

SERVICE = "pairing"
STAGE_ALIASES = {"kindergarten": "preschool", "middle": "junior", "middle_school": "junior"}
COUNTY = Param("county", CountyCode, "County code; omit for the province.")
ON = Param("on", date, "Day to count on; default today.")


def _stage(value: str) -> str:
    return STAGE_ALIASES.get(value, value)


IDS = ("secondment_id", "shadowing_id", "plan_id", "lesson_id", "visit_id", "resource_id")
STAGES = {"stage": _stage, "for_stage": _stage}


def _verb(model: type[Any], name: str, done: str, department: str | None = None) -> Verb:
    ids = tuple(i for i in IDS if i in model.model_fields)
    return Verb(model, name, done, ids, STAGES, department)


def _managers(side: str) -> Callable[[Row], str]:
    def cell(pair: Row) -> str:
        seconded = pair["secondments"]
        target = seconded["target"] or {"min": "?", "max": "?"}
        return f"{seconded[side]['on_day']} / {target['min']}-{target['max']}"

    return cell


PAIRS = View(
    "pairs_title",
    "helped_school stage helper_school status managers_to_helped managers_to_helper shadowing "
    "model_lessons exchange_visits teacher_pairings resources milestones assessments",
    {
        "helped_school": lambda r: r["helped_school"]["name"],
        "helper_school": lambda r: r["helper_school"]["name"],
        "managers_to_helped": _managers("helper_to_helped"),
        "managers_to_helper": _managers("helped_to_helper"),
        "shadowing": lambda r: f"{r['shadowing']['periods']} ({r['shadowing']['outside_target']})",
        "model_lessons": lambda r: "{model_lessons} ({weak_subject_model_lessons})".format_map(
            r["lessons"]
        ),
        "exchange_visits": lambda r: r["lessons"]["exchange_visits"],
        "teacher_pairings": lambda r: r["teacher_pairings"]["plans"],
        "resources": lambda r: sum(r["resources"].values()),
        "milestones": lambda r: f"{len(r['milestones'])} / 4",
        "assessments": lambda r: ", ".join(a["level"] for a in r["assessments"]) or "-",
    },
    alarm=lambda r: bool(r["secondments"]["sides_below_minimum"]),
)


async def send_seed(
    client: CommandClient,
    loaded: Seed,
    issuer: Issuer,
    advance: Progressed,
    targets: c.AdoptPairingTargets | None = None,
) -> Outcome:
    """Adopt `targets` (by default: the seed's pairs are the county's target) and the pairs."""
    outcome = Outcome()
    targets = targets or c.AdoptPairingTargets(county=loaded.county, active_pairs=len(loaded.pairs))
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


STREAM = Stream(
    SERVICE,
    department="basic_ed_1",
    options={
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
        **dict.fromkeys(("agreed_on", "given_on", "shared_on", "achieved_on", "passed_on"), "--on"),
        **dict.fromkeys(IDS, "--id"),
    },
    groups={
        "pair": "Pairs: establish, suspend, resume, end.",
        "share": "Shared teaching: teacher pairing plans, model lessons, exchange visits, "
        "resources.",
        "school-system": "The helped school's modern school system: milestones, assessments "
        "passed.",
        "report": "Pairing reports from the projection service.",
    },
    verbs=(
        _verb(c.AdoptPairingTargets, "targets", "targets of {county} adopted"),
        _verb(
            c.EstablishPair, "pair establish", "{helped_school_id} paired with {helper_school_id}"
        ),
        _verb(c.SuspendPair, "pair suspend", "pair of {helped_school_id} suspended"),
        _verb(c.ResumePair, "pair resume", "pair of {helped_school_id} resumed"),
        _verb(c.EndPair, "pair end", "pair of {helped_school_id} ended"),
        _verb(c.SecondManager, "second", "{role} seconded {direction}", "personnel"),
        _verb(c.RecordShadowing, "shadow", "shadowing recorded"),
        _verb(c.AgreeTeacherPairing, "share teachers", "teacher pairing recorded"),
        _verb(c.RecordModelLesson, "share lesson", "model lesson recorded"),
        _verb(c.RecordExchangeVisit, "share visit", "exchange visit recorded"),
        _verb(c.ShareTeachingResource, "share resource", "{kind} shared"),
        _verb(
            c.RecordSchoolSystemMilestone,
            "school-system milestone",
            "{milestone} recorded for {helped_school_id}",
            "policy_regulations",
        ),
        _verb(
            c.RecordStandardisedAssessment,
            "school-system assessment",
            "{level} assessment recorded for {helped_school_id}",
            "policy_regulations",
        ),
    ),
    files=(
        FileBatch(
            "seed",
            """Adopt the county's targets and establish the seed's pairs; a rerun changes
            nothing.

            Without a file, the pilot's 7 pairs (contracts/files/examples/pilot_pairs.toml).""",
            "Seed file (TOML) of pairs.",
            load_seed,
            (SeedError,),
            send_seed,
            "establishing pairs",
            "{established} pairs established, {unchanged} already established, {rejected} "
            "rejected; targets: {targets_adopted} adopted, {targets_unchanged} unchanged",
            lambda seed: len(seed.pairs) + 1,
            PILOT_SEED,
        ),
    ),
    reports=(
        Report(
            "report pairs",
            "/api/pairing/pairs",
            "Every pair: status, managers seconded per side on the day against 1-3, shadowing, "
            "lessons, resources, milestones. Pairs with a side below the minimum are in red.",
            (COUNTY, ON),
            PAIRS,
        ),
        Report(
            "report county",
            "/api/pairing/county",
            "Pairs active against the plan's target, and what they did; the province if no county.",
            (COUNTY, ON),
            View(
                "pairing_county_title",
                "measure value",
                rows=lambda summary: [
                    {"measure": labelled("field", k), "value": "-" if v is None else v}
                    for k, v in summary.items()
                    if k not in ("county", "on")
                ],
                values=lambda summary: {"on": summary["on"]},
            ),
        ),
        Report(
            "report shadowing",
            "/api/pairing/shadowing",
            "Shadowing periods with the teacher; periods outside the target months are flagged.",
            (COUNTY, Param("outside_target_only", bool, "Only the flagged periods.", flag=True)),
            View(
                "shadowing_title",
                "teacher helped_school host_school subject period months reason",
                {
                    "teacher": lambda r: r["teacher_name"] or i18n.text("cli.erased", lang()),
                    "helped_school": lambda r: r["helped_school_id"],
                    "host_school": lambda r: r["host_school_id"],
                    "period": lambda r: f"{r['start_date']}..{r['end_date']}",
                    "reason": lambda r: r["exception_reason"],
                },
                alarm=lambda r: r["flagged"],
            ),
        ),
    ),
)

app = typer.Typer(
    help="School pairing: pairs, secondments, shadowing, shared resources.", no_args_is_help=True
)
add_stream(app, STREAM)
