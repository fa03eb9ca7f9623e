"""Command handlers of the evaluation service: which stream, which decision.

Stream ids are readable where the stream is a county's year (`guidance:610831:2017`,
`census:610831:2017:primary`, `dhdu:610831:2017`) and the client's UUID otherwise; the prefix
keeps each kind of stream apart in the service's one event store.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from contracts.evaluation import commands as c
from services.evaluation.domain import (
    census,
    county_plan,
    guidance,
    high_school,
    supervision,
    universal,
)
from services.evaluation.thresholds import ThresholdBook
from shared.decider import CommandHandler

PERMISSIONS_FILE = Path(__file__).with_name("permissions.toml")


def guidance_stream(command: Any) -> str:
    return f"guidance:{command.county}:{command.year}"


def census_stream(command: Any) -> str:
    return f"census:{command.county}:{command.year}:{command.stage.value}"


def universal_stream(command: Any) -> str:
    return f"dhdu:{command.county}:{command.year}"


def command_handlers(thresholds: ThresholdBook) -> dict[str, CommandHandler[Any]]:
    def assess_balance(state: census.Census, command: c.AssessBalancedDevelopment) -> list[Any]:
        return census.assess(state, command, thresholds)

    def assess_universal(
        state: universal.UniversalYear, command: c.AssessDualHighDualUniversal
    ) -> list[Any]:
        return universal.assess(state, command, thresholds)

    def project(command: Any) -> str:
        return f"hs-project:{command.project_id}"

    def activity(command: Any) -> str:
        return f"hs-activity:{command.activity_id}"

    def evaluation(command: Any) -> str:
        return f"evaluation:{command.evaluation_id}"

    handlers: dict[type[Any], CommandHandler[Any]] = {
        c.AdoptCountyPlan: CommandHandler(
            county_plan.COUNTY_PLAN, county_plan.plan_stream, county_plan.adopt
        ),
        c.AdoptGuidancePlan: CommandHandler(
            guidance.GUIDANCE, guidance_stream, guidance.adopt_plan
        ),
        c.PlanResearchVisit: CommandHandler(
            guidance.GUIDANCE, guidance_stream, guidance.plan_visit
        ),
        c.RecordResearchVisit: CommandHandler(
            guidance.GUIDANCE, guidance_stream, guidance.record_visit
        ),
        c.CancelResearchVisit: CommandHandler(
            guidance.GUIDANCE, guidance_stream, guidance.cancel_visit
        ),
        c.EraseResearchVisitExperts: CommandHandler(
            guidance.GUIDANCE, guidance_stream, guidance.erase_experts
        ),
        c.RegisterCensusSchool: CommandHandler(
            census.CENSUS, census_stream, census.register_school
        ),
        c.DeregisterCensusSchool: CommandHandler(
            census.CENSUS, census_stream, census.deregister_school
        ),
        c.SubmitSchoolStatistics: CommandHandler(
            census.CENSUS, census_stream, census.submit_statistics
        ),
        c.CorrectSchoolStatistics: CommandHandler(
            census.CENSUS, census_stream, census.correct_statistics
        ),
        c.AssessBalancedDevelopment: CommandHandler(census.CENSUS, census_stream, assess_balance),
        c.RecordUniversalEducationFigures: CommandHandler(
            universal.UNIVERSAL, universal_stream, universal.record_figures
        ),
        c.AssessDualHighDualUniversal: CommandHandler(
            universal.UNIVERSAL, universal_stream, assess_universal
        ),
        c.ProposeHighSchoolProject: CommandHandler(
            high_school.PROJECT, project, high_school.propose_project
        ),
        c.AdvanceHighSchoolProject: CommandHandler(
            high_school.PROJECT, project, high_school.advance_project
        ),
        c.RecordQualityImprovementActivity: CommandHandler(
            high_school.ACTIVITY, activity, high_school.record_activity
        ),
        c.EraseQualityActivityExperts: CommandHandler(
            high_school.ACTIVITY, activity, high_school.erase_activity_experts
        ),
        c.RecordSupervisoryEvaluation: CommandHandler(
            supervision.EVALUATION, evaluation, supervision.record_evaluation
        ),
        c.RecordEvaluationOutcome: CommandHandler(
            supervision.EVALUATION, evaluation, supervision.record_outcome
        ),
    }
    return {command.__name__: handler for command, handler in handlers.items()}


def load_permissions(path: Path = PERMISSIONS_FILE) -> dict[str, frozenset[str]]:
    with path.open("rb") as f:
        return {command: frozenset(departments) for command, departments in tomllib.load(f).items()}
