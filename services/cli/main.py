"""`eduplan`: the command line of the platform for departments and operators.

Each work stream's commands live in their own module and attach themselves here.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from services.cli import (
    assistance,
    audit,
    county,
    demo,
    evaluation,
    operator,
    output,
    pairing,
    privacy,
    projection,
    staffing,
    users,
)
from services.cli.common import console
from shared import i18n
from shared.settings import get_settings

output.flags_as_flags()
app = typer.Typer(
    help="Education targeted poverty alleviation: commands and reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
report_app = typer.Typer(help="Reports from the projection service.", no_args_is_help=True)
app.add_typer(report_app, name="report")
assistance.register(app, report_app)
app.add_typer(county.app, name="county")
app.add_typer(staffing.app, name="staffing")
app.add_typer(pairing.app, name="pairing")
app.add_typer(evaluation.app, name="evaluation")
app.add_typer(projection.app, name="projection")
app.add_typer(audit.app, name="audit")
app.add_typer(demo.app, name="demo")
app.add_typer(operator.identity_app, name="identity")
app.command("provision")(operator.provision)
app.add_typer(users.app, name="users")
app.add_typer(privacy.app, name="privacy")


@app.command("sample-roster")
def sample_roster(
    output: Annotated[Path, typer.Argument(dir_okay=False, help="CSV file to write.")],
    county: Annotated[str, typer.Option(help="County code of the students.")] = "610831",
) -> None:
    """Write a synthetic roster with the pilot county's figures (6,718 students)."""
    assistance.write_sample_roster(output, county)


@app.command()
def up(
    env_file: Annotated[
        Path | None,
        typer.Option(
            "--env-file",
            exists=True,
            dir_okay=False,
            help="The .env of docker-compose.yml: run secured, every service with its own "
            "NATS user and PostgreSQL role, after provisioning as the operator.",
        ),
    ] = None,
) -> None:
    """Start NATS, PostgreSQL (embedded if none runs) and the services; Ctrl-C stops all."""
    from shared.launcher import run_up  # noqa: PLC0415 - heavy imports only for this command

    sys.exit(run_up(get_settings(), console, env_file))


@app.callback()
def options(
    csv: Annotated[
        bool, typer.Option("--csv", help="Tables as CSV (UTF-8); also after any command.")
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang", metavar="zh|en", help="Language (default zh, or EDUPLAN_LANG); anywhere."
        ),
    ] = None,
) -> None:
    """Education targeted poverty alleviation: commands and reports."""


def main() -> None:
    """The `eduplan` command; `--csv` and `--lang` count wherever they are given."""
    try:
        args = output.take_output_options(sys.argv[1:])
    except typer.BadParameter as exc:
        console.print(f"{i18n.prefix('error')}{exc.format_message()}", style="red", markup=False)
        sys.exit(2)
    app(args, prog_name="eduplan")


if __name__ == "__main__":
    main()
