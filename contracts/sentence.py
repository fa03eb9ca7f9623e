"""A sentence for a person, sent as a catalogue key and its values rather than as text, so
each reader sees it in their own language (`shared.i18n.sentence` says it)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Named(BaseModel):
    """An id the reader's language names: a department, county, stage, term, date, amount..."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    context: str = Field(
        description="What the id is: a catalogue context (unit, county, stage, programme, "
        "subject, school, ...) or term, date, money; an id the catalogue lacks is shown as is."
    )
    id: str = Field(description="The machine id, e.g. aid_center, 610831, 2017-autumn.")


Plain = str | int | float | Named
Value = Annotated[
    Plain | list[Plain],
    Field(description="A figure or text as it is, a named id, or a list said one after another."),
]


class Sentence(BaseModel):
    """A sentence of the catalogue, not yet in a language."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(
        description="Catalogue key `<context>.<msgid>`; a refusal's is `rejection.` and its "
        "English text with `{name}` placeholders, e.g. `rejection.no request {request_id}`."
    )
    values: dict[str, Value] = Field(
        default_factory=dict, description="What fills the placeholders, by name."
    )


ReasonPart = Annotated[
    "str | int | float | Named | Reason",
    Field(description="A figure or text as it is, a named id, or a sentence said in its place."),
]


class Reason(BaseModel):
    """A refusal's sentence: a `Sentence` whose values may themselves be sentences (each
    problem of an invalid command, the cause of a change taken back). Without such a value it
    is written exactly as a `Sentence`, so a reader that knows only `Sentence` reads it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(
        description="Catalogue key `rejection.<English template>`, e.g. "
        "`rejection.no request {request_id}`; a sentence within is keyed the same way."
    )
    values: dict[str, ReasonPart | list[ReasonPart]] = Field(
        default_factory=dict,
        description="What fills the placeholders, by name; a list is said one after another "
        "(sentences as clauses).",
    )
