"""Printing: rich tables on a terminal, plain JSON for scripts, warnings on stderr.

Everything printed for people goes through `safe`: a name or a server's message
may hold terminal escapes (`\\x1b[31m`, a carriage return that hides a line,
bidi overrides that reorder it), and printing them raw would let a contact
re-colour or rewrite the terminal. They are shown as visible escapes instead.
"""

from __future__ import annotations

import json
import re
from typing import Any

import click

# C0 and C1 controls and DEL (tab kept), and the bidi overrides and isolates (Unicode TR9).
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_KEEP_NEWLINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# What JSON itself leaves raw (it escapes only below 0x20): DEL, C1, bidi controls.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: Any, newlines: bool = False) -> str:
    """`text` with control characters shown as escapes (`\\x1b`); with `newlines`, line breaks stay."""
    return (_UNSAFE_KEEP_NEWLINES if newlines else _UNSAFE).sub(_escape, str(text))


def echo(text: Any = "", err: bool = False, newlines: bool = False) -> None:
    """click.echo for human output, made safe."""
    click.echo(safe(text, newlines), err=err)


def console():
    from rich.console import Console

    return Console()


def print_json(data: Any) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    click.echo(_UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text))  # still JSON: only inside strings


def warn(message: str) -> None:
    click.echo(f"Warning: {safe(message)}", err=True)


def table(title: str | None, columns: list[str], rows: list[list[str]]) -> None:
    from rich.table import Table
    from rich.text import Text

    # Text, not str: rich would read "[red]" or "[/]" in a name as markup (or fail on it).
    grid = Table(title=Text(safe(title)) if title else None, show_lines=False)
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*(Text(safe(cell)) for cell in row))
    console().print(grid)


def dry_run_note(dry_run: bool) -> None:
    if dry_run:
        click.echo("(dry run: nothing was changed)")
