"""Contracts of the evaluation service: commands and events, declared for the registry.

Streams (stream type: stream id):
- guidance: `guidance:<county>:<year>` (the year's plan of research visits and the visits),
- census: `census:<county>:<year>:<stage>` (school register, statistics, balance assessments),
- dual_high_dual_universal: `dhdu:<county>:<year>` (rates and their assessments),
- high_school_project: `hs-project:<uuid>`, quality_activity: `hs-activity:<uuid>`,
- supervisory_evaluation: `evaluation:<uuid>` (an evaluation and its official outcome),
- county_plan: `plan:<county>` (the county's plan and its revisions).
"""

from __future__ import annotations

from contracts.evaluation import commands, events
from contracts.specs import CommandSpec, EventSpec, Upcaster
from contracts.types import Contract

_STREAMS: dict[str, tuple[type[Contract], ...]] = {
    "guidance": (
        events.GuidancePlanAdopted,
        events.ResearchVisitPlanned,
        events.ResearchVisitHeld,
        events.ResearchVisitCancelled,
        events.ResearchVisitExpertsErased,
    ),
    "census": (
        events.CensusSchoolRegistered,
        events.CensusSchoolDeregistered,
        events.SchoolStatisticsSubmitted,
        events.SchoolStatisticsCorrected,
        events.BalancedDevelopmentAssessed,
    ),
    "dual_high_dual_universal": (
        events.UniversalEducationFiguresRecorded,
        events.DualHighDualUniversalAssessed,
    ),
    "high_school_project": (events.HighSchoolProjectProposed, events.HighSchoolProjectAdvanced),
    "quality_activity": (
        events.QualityImprovementActivityRecorded,
        events.QualityActivityExpertsErased,
    ),
    "supervisory_evaluation": (
        events.SupervisoryEvaluationRecorded,
        events.EvaluationOutcomeRecorded,
    ),
    "county_plan": (events.CountyPlanAdopted,),
}

EVENTS: tuple[EventSpec, ...] = tuple(
    EventSpec("evaluation", stream_type, model.__name__, 1, model)
    for stream_type, models in _STREAMS.items()
    for model in models
)

COMMANDS: tuple[CommandSpec, ...] = tuple(
    CommandSpec("evaluation", model.__name__, model)
    for model in (
        commands.AdoptGuidancePlan,
        commands.PlanResearchVisit,
        commands.RecordResearchVisit,
        commands.CancelResearchVisit,
        commands.EraseResearchVisitExperts,
        commands.RegisterCensusSchool,
        commands.DeregisterCensusSchool,
        commands.SubmitSchoolStatistics,
        commands.CorrectSchoolStatistics,
        commands.AssessBalancedDevelopment,
        commands.RecordUniversalEducationFigures,
        commands.AssessDualHighDualUniversal,
        commands.ProposeHighSchoolProject,
        commands.AdvanceHighSchoolProject,
        commands.RecordQualityImprovementActivity,
        commands.EraseQualityActivityExperts,
        commands.RecordSupervisoryEvaluation,
        commands.RecordEvaluationOutcome,
        commands.AdoptCountyPlan,
    )
)

UPCASTERS: dict[tuple[str, int], Upcaster] = {}
