"""Roles, the identity of a request, and what a role may read.

Roles combine. A viewer role says which counties' reports a user reads: `province_viewer`
every county and the province's totals, `county_viewer` only its own counties.
`personal_data_reader` adds the personal fields (names, registry numbers) to the reports a
viewer reads; `operator` runs the read models (`/admin/*`). What each role may read over
HTTP is checked in services/projection/http/access/scope.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Role(StrEnum):
    PROVINCE_VIEWER = "province_viewer"
    COUNTY_VIEWER = "county_viewer"
    PERSONAL_DATA_READER = "personal_data_reader"
    OPERATOR = "operator"


VIEWERS = frozenset({Role.PROVINCE_VIEWER, Role.COUNTY_VIEWER})
USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
COUNTY = re.compile(r"^\d{6}$")


def check_account(name: str, roles: Iterable[str], counties: Iterable[str]) -> None:
    """Refuse an account that could not work, with the reason (ValueError)."""
    if not USER_NAME.match(name):
        raise ValueError(
            f"user name {name!r}: 1-63 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
        )
    known = {r.value for r in Role}
    roles, counties = set(roles), list(counties)
    if not roles:
        raise ValueError(f"give at least one role: {', '.join(sorted(known))}")
    if roles - known:
        raise ValueError(f"unknown role {sorted(roles - known)[0]!r} (roles: {sorted(known)})")
    if bad := [c for c in counties if not COUNTY.match(c)]:
        raise ValueError(f"county {bad[0]!r} is not a 6-digit administrative code")
    if Role.COUNTY_VIEWER in roles and not counties:
        raise ValueError("a county_viewer needs --county (one or more)")
    if counties and Role.COUNTY_VIEWER not in roles:
        raise ValueError("--county limits a county_viewer; the other roles are not per county")
    if Role.PERSONAL_DATA_READER in roles and not roles & VIEWERS:
        raise ValueError(
            "personal_data_reader adds personal fields to a viewer's reports: "
            "give it with province_viewer or county_viewer"
        )


@dataclass(frozen=True)
class Principal:
    """Who a request comes from, and how it proved it."""

    name: str
    roles: frozenset[Role]
    counties: tuple[str, ...]
    via: Literal["session", "token"]

    def has(self, role: Role) -> bool:
        return role in self.roles

    @property
    def reads_personal_data(self) -> bool:
        return self.has(Role.PERSONAL_DATA_READER) and bool(self.roles & VIEWERS)

    def as_dict(self) -> dict[str, object]:
        return {
            "user": self.name,
            "roles": sorted(self.roles),
            "counties": list(self.counties),
            "via": self.via,
        }
