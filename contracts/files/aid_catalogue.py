"""The catalogue file: the aid programmes as data a department edits and loads.

`examples/aid_catalogue.toml` holds DOMAIN.md's 2016-2017 standards; the assistance service
loads it into the (event-sourced) catalogue when it starts with an empty one, and
`eduplan catalogue load FILE --effective-from TERM` records a changed file from a term on.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from contracts.assistance.commands import LoadAidCatalogue, ProgrammeDefinition

DEFAULT_CATALOGUE = Path(__file__).parent / "examples" / "aid_catalogue.toml"
DEFAULT_EFFECTIVE_FROM = "2016-autumn"


class CatalogueError(ValueError):
    """The catalogue file cannot be used; nothing of it applies."""


def read_catalogue_file(path: Path = DEFAULT_CATALOGUE) -> list[ProgrammeDefinition]:
    """Every programme of the file, checked as a whole: any mistake refuses the file."""
    try:
        with path.open("rb") as f:
            raw = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not valid TOML: {exc}") from None
    tables = raw.get("programme")
    if not isinstance(tables, list) or not tables:
        raise CatalogueError(f"{path}: no [[programme]] table")
    definitions = []
    for index, table in enumerate(tables):
        name = table.get("id", f"#{index + 1}") if isinstance(table, dict) else f"#{index + 1}"
        try:
            definitions.append(ProgrammeDefinition.model_validate(_renamed(table)))
        except ValidationError as exc:
            raise CatalogueError(f"{path}: programme {name}: {_describe(exc)}") from None
    try:
        LoadAidCatalogue(effective_from=DEFAULT_EFFECTIVE_FROM, programmes=definitions)
    except ValidationError as exc:
        raise CatalogueError(f"{path}: {_describe(exc)}") from None
    return definitions


def _renamed(table: object) -> object:
    """The file says `id`; the contract says `programme`."""
    if isinstance(table, dict) and "id" in table:
        return {"programme": table["id"], **{k: v for k, v in table.items() if k != "id"}}
    return table


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(x) for x in err["loc"])
        message = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)
