"""`eduplan audit ...`: search and export the audit trail."""

from __future__ import annotations

import typer

app = typer.Typer(help="The audit trail: who recorded what, when.", no_args_is_help=True)
