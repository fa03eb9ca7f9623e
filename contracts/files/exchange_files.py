"""Files exchanged with banks and universities: payment lists and university aid reports.

payments.csv: student_registry_id, term, programme, amount, paid_on, channel, reference
university report: student_registry_id, channel, amount, tier (tier may be empty)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal

from pydantic import Field, field_validator

from contracts.assistance.types import PaymentChannel, ProgrammeId, Reference, UniversityChannel
from contracts.files.csv_lines import Line, read_lines
from contracts.rules import RuleBroken
from contracts.types import Amount, Contract, RegistryId, Term

PAYMENT_COLUMNS = (
    "student_registry_id",
    "term",
    "programme",
    "amount",
    "paid_on",
    "channel",
    "reference",
)
UNIVERSITY_COLUMNS = ("student_registry_id", "channel", "amount", "tier")


class PaymentLine(Contract):
    """One payment of a bank's disbursement list."""

    student_registry_id: RegistryId
    term: Term
    programme: ProgrammeId
    amount: Amount = Field(description="Yuan paid.")
    paid_on: date = Field(description="Date of the payment.")
    channel: PaymentChannel = Field(description="How the money reached the family.")
    reference: Reference

    @field_validator("amount")
    @classmethod
    def _positive(cls, amount: Decimal) -> Decimal:
        if amount <= 0:
            raise RuleBroken("a payment is more than 0.00 yuan")
        return amount


class UniversityLine(Contract):
    """One kind of aid a university gave one student."""

    student_registry_id: RegistryId
    channel: UniversityChannel = Field(description="Channel of the aid.")
    amount: Amount = Field(description="Yuan in the school year.")
    tier: int | None = Field(None, ge=1, le=3, description="National grant tier, if any.")


def parse_payments(raw: bytes) -> Iterator[Line[PaymentLine]]:
    """Payments; the same reference twice for one student, term and programme is a duplicate."""
    return read_lines(
        raw, PAYMENT_COLUMNS, _payment, ["student_registry_id", "term", "programme", "reference"]
    )


def parse_university_report(raw: bytes) -> Iterator[Line[UniversityLine]]:
    return read_lines(raw, UNIVERSITY_COLUMNS, _university, ["student_registry_id", "channel"])


def _payment(cells: Mapping[str, str]) -> PaymentLine:
    return PaymentLine.model_validate(
        {
            **{k: cells[k] for k in PAYMENT_COLUMNS},
            "student_registry_id": cells["student_registry_id"].upper(),
        }
    )


def _university(cells: Mapping[str, str]) -> UniversityLine:
    return UniversityLine.model_validate(
        {
            "student_registry_id": cells["student_registry_id"].upper(),
            "channel": cells["channel"],
            "amount": cells["amount"],
            "tier": cells["tier"] or None,
        }
    )
