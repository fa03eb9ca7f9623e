"""`eduplan evaluation ...`: commands and reports of the evaluation service."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Guidance and evaluation, and high-school development.", no_args_is_help=True
)
