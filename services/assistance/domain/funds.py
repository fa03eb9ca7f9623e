"""A request to the city for per-student public funds, and the city's answer."""

from __future__ import annotations

from dataclasses import dataclass, replace

from pydantic import BaseModel

from contracts.assistance.commands import AnswerPublicFunds, RequestPublicFunds
from contracts.assistance.events import PublicFundsAnswered, PublicFundsRequested
from contracts.assistance.types import FundsDecision
from shared.decider import Aggregate, Rejection


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
            "already_requested", f"request {command.request_id} exists with other figures"
        )
    return [event]


def answer(state: FundsRequest, command: AnswerPublicFunds) -> list[BaseModel]:
    """The approved amount must match the decision: all, part of, or none of the request."""
    if state.requested is None:
        raise Rejection("not_requested", f"no request {command.request_id} in {command.county}")
    event = PublicFundsAnswered(**command.model_dump())
    if state.answered is not None:
        if state.answered == event:
            return []
        raise Rejection(
            "already_answered",
            f"request {command.request_id} was answered on {state.answered.answered_on}",
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
            f"{command.decision.value} does not fit {approved} of {requested} requested",
        )
    return [event]


FUNDS = Aggregate[FundsRequest]("funds_request", FundsRequest(), evolve, lambda s: s.county)
