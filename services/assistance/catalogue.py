"""The aid catalogue a catalogue file describes, folded by the domain (for tests and tools)."""

from __future__ import annotations

from pathlib import Path

from contracts.assistance.commands import LoadAidCatalogue
from contracts.files.aid_catalogue import (
    DEFAULT_CATALOGUE,
    DEFAULT_EFFECTIVE_FROM,
    read_catalogue_file,
)
from services.assistance.domain.catalogue import CATALOGUE, AidCatalogue, load


def load_catalogue(
    path: Path = DEFAULT_CATALOGUE, effective_from: str = DEFAULT_EFFECTIVE_FROM
) -> AidCatalogue:
    """The catalogue a file describes, in force from `effective_from` (for tests and tools)."""
    command = LoadAidCatalogue(effective_from=effective_from, programmes=read_catalogue_file(path))
    return CATALOGUE.fold(load(AidCatalogue(), command))
