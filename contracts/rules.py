"""A contract's own rule, broken: raised by a model's validator as pydantic expects (a
`ValueError`), with its English template and values kept, so that whoever says the problem
(a service's `invalid_command` refusal, the command line) says it in the reader's language:
the template is the catalogue key (context `rejection`), as a refusal's is."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.sentence import Named

RuleValue = str | int | float | Named | Sequence[str | int | float | Named]


class RuleBroken(ValueError):
    """`RuleBroken("{stage} has grades 1-{most} only", stage=Named(...), most=3)`: the
    English text names ids as they are and joins lists with commas."""

    def __init__(self, template: str, /, **values: RuleValue) -> None:
        super().__init__(template.format_map({k: _english(v) for k, v in values.items()}))
        self.template = template
        self.values = values


def stage_named(stage: object) -> Named:
    """A stage (an enum member or its id) as its name in the reader's language."""
    return Named(context="stage", id=str(getattr(stage, "value", stage)))


def _english(value: RuleValue) -> str:
    if isinstance(value, Named):
        return value.id
    if isinstance(value, str | int | float):
        return str(value)
    return ", ".join(_english(v) for v in value)
