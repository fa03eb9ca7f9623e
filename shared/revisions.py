"""Which revision of something adopted from a date is in force on a day.

A county's plan and each work stream's targets are adopted, then revised, each revision from
a day (`effective_from`); a revision never rewrites what was judged before that day. The
rule, the same for plans and targets, in reports and in decisions: on day D the revision in
force is the one with the latest `effective_from` not after D; of two from the same day, the
one adopted later (higher `revision`, the adoption's order).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Revision(Generic[T]):
    effective_from: date
    revision: int  # order of adoption, e.g. the adoption event's stream version
    value: T


def in_force(revisions: Iterable[Revision[T]], day: date) -> Revision[T] | None:
    """The revision in force on `day`; None when every revision applies from a later day."""
    started = [r for r in revisions if r.effective_from <= day]
    return max(started, key=lambda r: (r.effective_from, r.revision), default=None)


def in_force_or_first(revisions: Iterable[Revision[T]], day: date) -> Revision[T] | None:
    """As `in_force`, but a day before every revision has the first: targets also measure
    the facts from before they were adopted (master teachers in place when a plan began)."""
    found = list(revisions)
    first = min((r.effective_from for r in found), default=day)
    return in_force(found, max(day, first))
