"""What is wrong with a command or request, field by field, as catalogue sentences.

Pydantic's own wording is English; each error type people meet is a template of the
catalogue (context `rejection`, whose msgid is the English text), filled in with the field
and its limit, so the problem is said in the reader's language. A contract's own rule is
raised as a `contracts.rules.RuleBroken`, whose template is a catalogue key too; any other
error keeps pydantic's message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from contracts.rules import RuleBroken, RuleValue
from contracts.sentence import Named
from shared.i18n import Listing, Phrase, listing, named, phrase

_NUMBER = "{field}: a number expected"
_WHOLE = "{field}: a whole number expected"
_DATE = "{field}: a date (YYYY-MM-DD) expected"
_MOMENT = "{field}: a date and time (ISO 8601) expected"
_LIST = "{field}: a list expected"
_OBJECT = "{field}: an object expected"
_ONE_OF = "{field}: one of {expected}"

TEMPLATES: Mapping[str, str] = {
    "missing": "{field}: required",
    "extra_forbidden": "{field}: no such field",
    "string_type": "{field}: text expected",
    "string_too_short": "{field}: at least {min_length} characters",
    "string_too_long": "{field}: at most {max_length} characters",
    "string_pattern_mismatch": "{field}: does not match {pattern}",
    "too_short": "{field}: at least {min_length} items",
    "too_long": "{field}: at most {max_length} items",
    "greater_than": "{field}: must be greater than {gt}",
    "greater_than_equal": "{field}: must be at least {ge}",
    "less_than": "{field}: must be less than {lt}",
    "less_than_equal": "{field}: must be at most {le}",
    "multiple_of": "{field}: must be a multiple of {multiple_of}",
    "decimal_max_digits": "{field}: at most {max_digits} digits",
    "decimal_max_places": "{field}: at most {decimal_places} decimal places",
    "literal_error": _ONE_OF,
    "enum": _ONE_OF,
    "int_type": _WHOLE,
    "int_parsing": _WHOLE,
    "int_from_float": _WHOLE,
    "float_type": _NUMBER,
    "float_parsing": _NUMBER,
    "decimal_type": _NUMBER,
    "decimal_parsing": _NUMBER,
    "finite_number": _NUMBER,
    "bool_type": "{field}: true or false expected",
    "bool_parsing": "{field}: true or false expected",
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "datetime_type": _MOMENT,
    "datetime_parsing": _MOMENT,
    "datetime_from_date_parsing": _MOMENT,
    "timezone_aware": "{field}: the time zone is missing",
    "uuid_type": "{field}: a UUID expected",
    "uuid_parsing": "{field}: a UUID expected",
    "list_type": _LIST,
    "tuple_type": _LIST,
    "set_type": _LIST,
    "dict_type": _OBJECT,
    "model_type": _OBJECT,
    "model_attributes_type": _OBJECT,
    "json_invalid": "{field}: not valid JSON",
    "json_type": "{field}: not valid JSON",
}
"""Pydantic error type -> the catalogue template that says it."""

OTHER = "{field}: {detail}"
"""Any other error type: the field and pydantic's message (a validator's own rule)."""

_QUOTED = re.compile(r"'([^']*)'")


def problems(exc: ValidationError, whole: str = "command") -> Listing:
    """Every problem of `exc` as a sentence, said one clause after another; `whole` names
    what was validated when an error concerns all of it (`command`, `request`)."""
    return listing((problem(err, whole) for err in exc.errors(include_url=False)), clauses=True)


def problem(err: ErrorDetails, whole: str = "command") -> Phrase:
    """One pydantic error as a sentence of the catalogue."""
    where = ".".join(str(part) for part in err["loc"]) or whole
    field = named("field_path", where)
    broken = (err.get("ctx") or {}).get("error")
    if isinstance(broken, RuleBroken):
        rule = phrase(
            f"rejection.{broken.template}", **{k: _said(v) for k, v in broken.values.items()}
        )
        return phrase(f"rejection.{OTHER}", field=field, detail=rule)
    template = TEMPLATES.get(err["type"])
    if template is None:
        detail = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return phrase(f"rejection.{OTHER}", field=field, detail=detail)
    context: dict[str, Any] = dict(err.get("ctx") or {})
    values: dict[str, object] = {"field": field}
    for name in re.findall(r"\{(\w+)\}", template):
        if name == "expected":
            values[name] = _choices(str(context.get(name, "")))
        elif name != "field":
            values[name] = _limit(context.get(name, ""))
    return phrase(f"rejection.{template}", **values)


def _said(value: RuleValue) -> object:
    """A value of a contract's rule as a sentence carries it: ids named, lists listed."""
    if isinstance(value, Named):
        return named(value.context, value.id)
    if isinstance(value, str | int | float):
        return value
    return listing(_said(v) for v in value)


def _choices(expected: str) -> object:
    """Pydantic's "'a', 'b' or 'c'" as the ids a person types, listed in their language."""
    ids = _QUOTED.findall(expected)
    return listing(ids) if ids else expected


def _limit(value: object) -> object:
    """A limit as the sentence carries it: figures and dates as they are, the rest as text."""
    if isinstance(value, bool):
        return str(value).lower()
    return value
