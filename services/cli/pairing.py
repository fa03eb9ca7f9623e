"""`eduplan pairing ...`: commands and reports of the pairing service."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="School pairing: pairs, secondments, shadowing, shared resources.", no_args_is_help=True
)
