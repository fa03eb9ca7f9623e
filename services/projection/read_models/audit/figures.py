"""The events behind a dashboard figure, kept as data: figure -> event types + payload match.

`GET /api/audit/behind?figure=<name>&county=&<parameters>` runs the audit search its figure
maps to: the figure's event types, the event's county, and each other parameter matched
inside the payload (jsonb containment, answered by the GIN index). To let auditors trace a
figure of another service, add one line to FIGURES: the report it explains, its event types,
its parameters (name -> contract type, matched in the payload) and what it lists.
`GET /api/audit/figures` lists them all.

What each lists is the facts a figure is made of, which is not always the figure's count:
- `aid-coverage`: the AidGranted events of the term (stage and county at the grant). They are
  the rows of the aid_grants table; the report's `aided` counts their students (one grant per
  programme), placed by the student's current stage and county.
- `aid-missing`: a missing student has no grant, so no event says so. Listed are the
  recorded decisions that granted nothing: StudentAidAssessed with an empty entitlement, each
  with its reason. Students never assessed for the term have no event (the report says so),
  and a later assessment may have changed the answer: this is the history.
- `master-teachers`, `pairs`, `balance`, ...: every fact of the post, pair or census the
  report folds, including the ones a later fact undid (a withdrawn dispatch, a corrected
  statistic): the report is their sum, the list is their history.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from contracts.alerts.events import AlertKind
from contracts.assistance.types import ProgrammeId, SchoolName, SchoolYear
from contracts.evaluation.types import CompulsoryStage, LocalId, Year
from contracts.pairing.types import PairedStage
from contracts.pairing.types import SchoolId as HelpedSchoolId
from contracts.registry import events_of
from contracts.staffing.types import SchoolId, SubjectId
from contracts.types import CountyCode, Stage, Term
from services.projection.http import HttpError
from services.projection.read_models.staffing import coverage as staffing_coverage
from shared.i18n import phrase


@dataclass(frozen=True)
class Figure:
    report: str
    event_types: tuple[str, ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    about: str = ""
    payload_path: str | None = None


FIGURES: dict[str, Figure] = {
    "aid-coverage": Figure(
        "/api/aid-coverage",
        ("AidGranted",),
        {"term": Term, "stage": Stage},
        ("term",),
        "grants of the term (aided, amount granted), by stage and county at the grant",
    ),
    "aid-payments": Figure(
        "/api/aid-coverage",
        ("AidPaid",),
        {"term": Term, "programme": ProgrammeId},
        ("term",),
        "payments against the term's grants (amount paid)",
    ),
    "aid-programmes": Figure(
        "/api/aid-programmes",
        ("AidGranted", "AidGrantRevoked"),
        {"term": Term, "programme": ProgrammeId},
        ("term",),
        "grants and revocations of the term, per programme",
    ),
    "aid-missing": Figure(
        "/api/students-missing-aid",
        ("StudentAidAssessed",),
        {"term": Term, "stage": Stage},
        ("term",),
        "assessments of the term that entitled the student to nothing, with the reason",
        "$.entitled.size() == 0",
    ),
    "dropout-alerts": Figure(
        "/api/dropout-alerts",
        ("DropoutAlertRaised", "DropoutAlertResolved"),
        about="dropout alerts raised and resolved",
    ),
    "university-dispatches": Figure(
        "/api/university-dispatches",
        ("UniversityRosterDispatched", "UniversityAidReported"),
        {"school_year": SchoolYear, "university": SchoolName},
        about="rosters sent to universities and their reports",
    ),
    "funding-requests": Figure(
        "/api/funding-requests",
        ("PublicFundsRequested", "PublicFundsAnswered"),
        {"request_id": str},
        about="requests to the city for per-student public funds, and the answers",
    ),
    "master-teachers": Figure(
        "/api/staffing/coverage",
        ("SubjectTargetRaised", *sorted(staffing_coverage.ASSIGNMENT_EVENTS)),
        {"subject": SubjectId, "host_school": SchoolId},
        about="master teachers of a subject post: dispatches, arrivals, extensions, ends",
    ),
    "caravan-visits": Figure(
        "/api/staffing/training",
        ("CaravanVisitRecorded",),
        {"term": Term},
        about="caravan teaching visits held and their model lessons",
    ),
    "teacher-supply": Figure(
        "/api/staffing/supply",
        (
            "SpecialPostQuotaAllocated",
            "SpecialPostsFilled",
            "NormalGraduatePlaced",
            "TuitionFreeGraduateRecruited",
        ),
        {"school_year": SchoolYear},
        about="special-post quotas and posts filled, normal graduates placed and recruited",
    ),
    "pairs": Figure(
        "/api/pairing/pairs",
        tuple(s.event_type for s in events_of("pairing") if "pair_id" in s.model.model_fields),
        {"pair_id": str, "stage": PairedStage},
        about="a pair's life and everything recorded through it",
    ),
    "secondments": Figure(
        "/api/pairing/pairs",
        ("ManagerSeconded",),
        {"pair_id": str},
        about="managers seconded between paired schools",
    ),
    "shadowing": Figure(
        "/api/pairing/shadowing",
        ("ShadowingRecorded",),
        {"pair_id": str},
        about="county teachers shadowing at their helper school",
    ),
    "school-system": Figure(
        "/api/pairing/county",
        ("SchoolSystemMilestoneAchieved", "StandardisedAssessmentPassed"),
        {"helped_school_id": HelpedSchoolId},
        about="modern-school-system milestones and standardised-school assessments passed",
    ),
    "research-visits": Figure(
        "/api/evaluation/research-visits",
        (
            "GuidancePlanAdopted",
            "ResearchVisitPlanned",
            "ResearchVisitHeld",
            "ResearchVisitCancelled",
        ),
        {"year": Year},
        ("year",),
        "the year's guidance plan and research visits planned, held and cancelled",
    ),
    "balance": Figure(
        "/api/evaluation/balance",
        (
            "CensusSchoolRegistered",
            "CensusSchoolDeregistered",
            "SchoolStatisticsSubmitted",
            "SchoolStatisticsCorrected",
            "BalancedDevelopmentAssessed",
        ),
        {"year": Year, "stage": CompulsoryStage},
        ("year",),
        "the census: schools, their statistics and corrections, and the assessments of them",
    ),
    "assessments": Figure(
        "/api/plan-progress",
        (
            "BalancedDevelopmentAssessed",
            "UniversalEducationFiguresRecorded",
            "DualHighDualUniversalAssessed",
            "SupervisoryEvaluationRecorded",
            "EvaluationOutcomeRecorded",
        ),
        {"year": Year},
        about="assessments, double-high double-universal figures, evaluations and outcomes",
    ),
    "high-school": Figure(
        "/api/evaluation/high-school-projects",
        (
            "HighSchoolProjectProposed",
            "HighSchoolProjectAdvanced",
            "QualityImprovementActivityRecorded",
        ),
        {"school": LocalId},
        about="high-school projects and their milestones, quality-improvement activities",
    ),
    "alerts": Figure(
        "/api/alerts",
        ("AlertRaised", "AlertResolved"),
        {"kind": AlertKind, "alert_key": str},
        about="alerts raised when a task fell behind, and resolved when the gap closed",
    ),
}


class BehindQuery(BaseModel):
    """The parameters every figure takes; the figure's own ones come beside them."""

    model_config = ConfigDict(extra="forbid")

    figure: str
    county: CountyCode | None = None
    limit: int = Field(100, ge=1, le=10_000)
    after: str | None = None


def figure_search(params: dict[str, str]) -> tuple[str, dict[str, str]]:
    """(figure name, the parameters of the equivalent /api/audit/events search)."""
    common = {k: v for k, v in params.items() if k in BehindQuery.model_fields}
    q = BehindQuery.model_validate(common)
    figure = FIGURES.get(q.figure)
    if figure is None:
        known = ", ".join(FIGURES)
        raise HttpError(
            400, "unknown_figure", phrase("error.unknown_figure", figure=q.figure, known=known)
        )
    own = {k: v for k, v in params.items() if k not in common}
    takes = ["county", *figure.params]
    unknown = sorted(own.keys() - figure.params.keys())
    if unknown:
        raise HttpError(
            400,
            "bad_request",
            phrase(
                "error.figure_takes",
                figure=q.figure,
                takes=", ".join(takes),
                unknown=", ".join(unknown),
            ),
        )
    missing = [p for p in figure.required if p not in own]
    if missing:
        raise HttpError(
            400,
            "bad_request",
            phrase("error.figure_needs", figure=q.figure, missing=", ".join(missing)),
        )
    payload = {name: _value(name, figure.params[name], text) for name, text in own.items()}
    search = {
        "event_type": ",".join(figure.event_types),
        "county": q.county,
        "payload": json.dumps(payload, ensure_ascii=False) if payload else None,
        "payload_path": figure.payload_path,
        "limit": str(q.limit),
        "after": q.after,
    }
    return q.figure, {k: v for k, v in search.items() if v is not None}


def catalogue() -> list[dict[str, Any]]:
    return [
        {
            "figure": name,
            "report": f.report,
            "event_types": list(f.event_types),
            "params": ["county", *f.params],
            "required": list(f.required),
            "about": f.about,
        }
        for name, f in FIGURES.items()
    ]


def _value(name: str, kind: Any, text: str) -> Any:
    adapter: TypeAdapter[Any] = TypeAdapter(kind)
    try:
        return adapter.dump_python(adapter.validate_python(text), mode="json")
    except ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise HttpError(400, "bad_request", f"{name}: {message}") from None
