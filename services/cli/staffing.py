"""`eduplan staffing ...`: commands and reports of the staffing service."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Teacher staffing: master teachers, training, teacher supply.", no_args_is_help=True
)
