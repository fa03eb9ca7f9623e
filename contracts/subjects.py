"""Names on the bus: JetStream streams, event subjects, command and query subjects.

A non-empty namespace prefixes everything, so several deployments (or test runs) can share
one NATS server without seeing each other.
"""

from __future__ import annotations

import re


def _prefixed(namespace: str, subject: str) -> str:
    return f"{namespace}.{subject}" if namespace else subject


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


def command_subject(service: str, command_type: str, namespace: str = "") -> str:
    return _prefixed(namespace, f"commands.{service}.{snake_case(command_type)}")


def query_subject(service: str, query_type: str, namespace: str = "") -> str:
    return _prefixed(namespace, f"queries.{service}.{snake_case(query_type)}")


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
