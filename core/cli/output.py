"""Printing: rich tables on a terminal, plain JSON for scripts, warnings on stderr."""

from __future__ import annotations

import json
from typing import Any

import click


def console():
    from rich.console import Console

    return Console()


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def warn(message: str) -> None:
    click.echo(f"Warning: {message}", err=True)


def table(title: str | None, columns: list[str], rows: list[list[str]]) -> None:
    from rich.table import Table

    grid = Table(title=title, show_lines=False)
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*row)
    console().print(grid)


def dry_run_note(dry_run: bool) -> None:
    if dry_run:
        click.echo("(dry run: nothing was changed)")
