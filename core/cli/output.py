"""Printing: rich tables on a terminal, plain JSON for scripts, warnings on stderr.

Everything printed for people goes through `safe`: a name or a server's message
may hold terminal escapes (`\\x1b[31m`, a carriage return that hides a line,
bidi overrides that reorder it), and printing them raw would let a contact
re-colour or rewrite the terminal. They are shown as visible escapes instead.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
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


def print_json_list(items: Iterable[Any]) -> None:
    """A JSON list written item by item, the same text as `print_json(list(items))` without holding the list."""
    first = True
    for item in items:
        text = json.dumps(item, indent=2, ensure_ascii=False, default=str).replace("\n", "\n  ")
        click.echo(("[\n  " if first else ",\n  ") + _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text), nl=False)
        first = False
    click.echo("[]" if first else "\n]")


def warn(message: str) -> None:
    click.echo(f"Warning: {safe(message)}", err=True)


def plural(count: int, word: str, many: str | None = None) -> str:
    """`count` and the word in the right number: "1 copy", "2 copies", "0 records"."""
    if count == 1:
        return f"1 {word}"
    if many is None:
        many = word[:-1] + "ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else word + "s"
    return f"{count:,} {many}"


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def table(title: str | None, columns: list[str], rows: list[list[str]]) -> None:
    """Rows for people on a terminal, one tab-separated line per row for a pipe.

    Piped (`| grep`, `| cut -f2`, `> file`) there is no width to fit: a table drawn
    for some guessed width would wrap a row over several lines and split words.
    Scripts expect one row per line, so a pipe gets the column names, then each row,
    its cells separated by tabs (tabs and line breaks inside a cell become spaces).
    On a terminal, rich fits the table to the width, wrapping cells only between
    words; a single word wider than its column is cut with "…" (overflow="ellipsis")
    rather than folded onto the next line ("Categorie" / "s"), and the first column
    (an id or a name) never wraps.
    """
    if not stdout_is_terminal():
        for line in [columns, *rows]:
            click.echo("\t".join(safe(_one_line(cell)) for cell in line))
        return
    from rich.table import Table
    from rich.text import Text

    # Text, not str: rich would read "[red]" or "[/]" in a name as markup (or fail on it).
    grid = Table(title=Text(safe(title)) if title else None, show_lines=False)
    for index, column in enumerate(columns):
        grid.add_column(column, overflow="ellipsis", no_wrap=index == 0)
    for row in rows:
        grid.add_row(*(Text(safe(cell), overflow="ellipsis") for cell in row))
    console().print(grid)


def _one_line(cell: Any) -> str:
    return " ".join(str(cell).replace("\t", " ").splitlines())


def dry_run_note(dry_run: bool) -> None:
    if dry_run:
        click.echo("(dry run: nothing was changed)")
