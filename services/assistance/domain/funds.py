"""A request to the city for per-student public funds, and the city's answer."""

from __future__ import annotations

from dataclasses import dataclass, replace

from pydantic import BaseModel

from contracts.assistance.commands import AnswerPublicFunds, RequestPublicFunds
from contracts.assistance.events import PublicFundsAnswered, PublicFundsRequested
from contracts.assistance.types import FundsDecision
from shared.decider import Aggregate, Rejection
from shared.i18n import named


def funds_stream(county: str, request_id: str) -> str:
    return f"{county}/{request_id}"


@dataclass(frozen=True)
class FundsRequest:
    county: str = ""
    requested: PublicFundsRequested | None = None
    answered: PublicFundsAnswered | None = None


def evolve(state: FundsRequest, event: BaseModel) -> FundsRequest:
    match event:
        case PublicFundsRequested():
            return FundsRequest(county=event.county, requested=event)
        case PublicFundsAnswered():
            return replace(state, answered=event)
    return state


def request(state: FundsRequest, command: RequestPublicFunds) -> list[BaseModel]:
    event = PublicFundsRequested(**command.model_dump())
    if state.requested is not None:
        if state.requested == event:
            return []
        raise Rejection(
            "already_requested",
            "request {request_id} exists with other figures",
            request_id=command.request_id,
        )
    return [event]


def answer(state: FundsRequest, command: AnswerPublicFunds) -> list[BaseModel]:
    """The approved amount must match the decision: all, part of, or none of the request."""
    if state.requested is None:
        raise Rejection(
            "not_requested",
            "no request {request_id} in {county}",
            request_id=command.request_id,
            county=named("county", command.county),
        )
    event = PublicFundsAnswered(**command.model_dump())
    if state.answered is not None:
        if state.answered == event:
            return []
        raise Rejection(
            "already_answered",
            "request {request_id} was answered on {answered_on}",
            request_id=command.request_id,
            answered_on=state.answered.answered_on,
        )
    requested, approved = state.requested.requested_amount, command.approved_amount
    fits = {
        FundsDecision.APPROVED: approved == requested,
        FundsDecision.PARTLY_APPROVED: 0 < approved < requested,
        FundsDecision.DECLINED: approved == 0,
    }[command.decision]
    if not fits:
        raise Rejection(
            "answer_mismatch",
            "{decision} does not fit {approved} of {requested} requested",
            decision=named("decision", command.decision),
            approved=named("money", approved),
            requested=named("money", requested),
        )
    return [event]


FUNDS = Aggregate[FundsRequest]("funds_request", FundsRequest(), evolve, lambda s: s.county)
