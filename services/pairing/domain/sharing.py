"""Decisions on sharing teaching: teacher pairing plans, model lessons, exchange visits,
courseware and teaching results. Each is recorded once per id, on an active pair, no earlier
than the pair's first day; subjects weak at the helped school are flagged for the reports."""

from __future__ import annotations

from pydantic import BaseModel

from contracts.pairing.commands import (
    AgreeTeacherPairing,
    RecordExchangeVisit,
    RecordModelLesson,
    ShareTeachingResource,
)
from contracts.pairing.events import (
    ExchangeVisitMade,
    ModelLessonGiven,
    TeacherPairingAgreed,
    TeachingResourceShared,
)
from services.pairing.domain.records import active_pair, already_recorded
from services.pairing.domain.school import HelpedSchool, Pair, facts_of


def agree_teacher_pairing(state: HelpedSchool, c: AgreeTeacherPairing) -> list[BaseModel]:
    def agreed(pair: Pair) -> TeacherPairingAgreed:
        return TeacherPairingAgreed(
            **facts_of(state, pair),
            plan_id=c.plan_id,
            subject=c.subject,
            weak_subject=c.weak_subject,
            agreed_on=c.agreed_on,
            goal=c.goal,
            personal=c.personal,
        )

    if already_recorded(state, c.plan_id, agreed):
        return []
    return [agreed(active_pair(state, c.stage, c.agreed_on))]


def record_model_lesson(state: HelpedSchool, c: RecordModelLesson) -> list[BaseModel]:
    def given(pair: Pair) -> ModelLessonGiven:
        return ModelLessonGiven(
            **facts_of(state, pair),
            lesson_id=c.lesson_id,
            subject=c.subject,
            weak_subject=c.weak_subject,
            given_on=c.given_on,
            title=c.title,
            given_by=c.given_by,
            personal=c.personal,
        )

    if already_recorded(state, c.lesson_id, given):
        return []
    return [given(active_pair(state, c.stage, c.given_on))]


def record_exchange_visit(state: HelpedSchool, c: RecordExchangeVisit) -> list[BaseModel]:
    def made(pair: Pair) -> ExchangeVisitMade:
        return ExchangeVisitMade(
            **facts_of(state, pair),
            start_date=c.start_date,
            end_date=c.end_date,
            visit_id=c.visit_id,
            direction=c.direction,
            subject=c.subject,
            weak_subject=c.weak_subject,
            participants=c.participants,
            purpose=c.purpose,
        )

    if already_recorded(state, c.visit_id, made):
        return []
    return [made(active_pair(state, c.stage, c.start_date))]


def share_teaching_resource(state: HelpedSchool, c: ShareTeachingResource) -> list[BaseModel]:
    def shared(pair: Pair) -> TeachingResourceShared:
        return TeachingResourceShared(
            **facts_of(state, pair),
            resource_id=c.resource_id,
            kind=c.kind,
            title=c.title,
            subject=c.subject,
            for_stage=c.for_stage,
            shared_on=c.shared_on,
        )

    if already_recorded(state, c.resource_id, shared):
        return []
    return [shared(active_pair(state, c.stage, c.shared_on))]
