"""Names on the bus: JetStream streams, event subjects, command and query subjects.

A non-empty namespace prefixes everything, so several deployments (or test runs) can share
one NATS server without seeing each other.

Commands and queries name their sender in the subject:
`commands.<service>.<department>.<jurisdiction>.<actor>.<command>` and, read-only,
`queries.<service>.<jurisdiction>.<actor>.<query>`. The NATS server lets each identity publish
only under its own departments, jurisdiction and user name (deploy/nats/people.conf), so a
service reads who sent a request from the subject, never from the body the sender wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DEPARTMENT = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_JURISDICTION = re.compile(r"^\d{6}$")
_ACTOR = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Sender:
    """Who sends a command or query: a department acting for a jurisdiction, and the person
    or system account (the NATS user) that sends it.

    A jurisdiction is an administrative code: a county (610831) acts for itself, a city
    (610800) for its counties, the province (610000) for all of them.
    """

    department: str
    jurisdiction: str
    actor: str

    def __post_init__(self) -> None:
        for value, pattern, what in (
            (self.department, _DEPARTMENT, "department"),
            (self.jurisdiction, _JURISDICTION, "jurisdiction"),
            (self.actor, _ACTOR, "actor"),
        ):
            if not pattern.match(value):
                raise ValueError(f"{what} {value!r} cannot be a subject token")


def within(county: str, jurisdiction: str) -> bool:
    """Whether a county (or province-wide stream code) lies in a jurisdiction: codes are
    hierarchical (GB/T 2260), trailing `00` pairs meaning "every code below"."""
    prefix = jurisdiction
    while prefix.endswith("00") and len(prefix) > 2:
        prefix = prefix[:-2]
    return county.startswith(prefix)


def actor_token(name: str) -> str:
    """A login or user name made safe as a subject token (dots and spaces become `_`)."""
    token = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64]
    return token or "unknown"


def _prefixed(namespace: str, subject: str) -> str:
    return f"{namespace}.{subject}" if namespace else subject


def _unprefixed(namespace: str, subject: str) -> str:
    return subject.removeprefix(f"{namespace}.") if namespace else subject


def stream_name(service: str, namespace: str = "") -> str:
    """The JetStream stream a service owns, e.g. ASSISTANCE."""
    return f"{namespace.upper()}_{service.upper()}" if namespace else service.upper()


def event_subject(
    service: str, county: str, stream_type: str, event_type: str, namespace: str = ""
) -> str:
    return _prefixed(namespace, f"events.{service}.{county}.{stream_type}.{event_type}")


def service_events(service: str, namespace: str = "") -> str:
    """Wildcard of every event a service publishes (its stream's subjects)."""
    return _prefixed(namespace, f"events.{service}.>")


def command_address(service: str, command_type: str) -> str:
    """A command's subject with its sender as `{department}`, `{jurisdiction}`, `{actor}`."""
    name = snake_case(command_type)
    return f"commands.{service}.{{department}}.{{jurisdiction}}.{{actor}}.{name}"


def query_address(service: str, query_type: str) -> str:
    """A query's subject: the jurisdiction and actor bound the answer, no department."""
    return f"queries.{service}.{{jurisdiction}}.{{actor}}.{snake_case(query_type)}"


def command_subject(service: str, command_type: str, sender: Sender, namespace: str = "") -> str:
    return _prefixed(namespace, command_address(service, command_type).format_map(vars(sender)))


def query_subject(service: str, query_type: str, sender: Sender, namespace: str = "") -> str:
    return _prefixed(namespace, query_address(service, query_type).format_map(vars(sender)))


def service_commands(service: str, namespace: str = "") -> str:
    """Wildcard of every command a service serves, from any sender."""
    return _prefixed(namespace, f"commands.{service}.*.*.*.*")


def service_query(service: str, query_type: str, namespace: str = "") -> str:
    """Wildcard of one query a service serves, from any sender."""
    return _prefixed(namespace, f"queries.{service}.*.*.{snake_case(query_type)}")


def sender_of(subject: str, namespace: str = "") -> tuple[Sender, str]:
    """The sender and the snake_case command name of a command subject."""
    parts = _unprefixed(namespace, subject).split(".")
    if len(parts) != 6 or parts[0] != "commands":
        raise ValueError(
            f"{subject} is not commands.<service>.<dept>.<jurisdiction>.<actor>.<name>"
        )
    return Sender(parts[2], parts[3], parts[4]), parts[5]


def asker_of(subject: str, namespace: str = "") -> tuple[str, str]:
    """The jurisdiction and actor of a query subject."""
    parts = _unprefixed(namespace, subject).split(".")
    if len(parts) != 5 or parts[0] != "queries":
        raise ValueError(f"{subject} is not queries.<service>.<jurisdiction>.<actor>.<name>")
    return parts[2], parts[3]


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
