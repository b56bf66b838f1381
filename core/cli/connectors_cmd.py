"""`contacthub connectors`: the installed connector plugins."""

from __future__ import annotations

import click

from contacthub.cli.output import print_json, table, warn


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--verbose", "-v", is_flag=True, help="Also list each connector's options (its [targets.NAME] settings).")
@click.pass_context
def connectors(ctx: click.Context, as_json: bool, verbose: bool) -> None:
    """List the installed connector plugins, built-in and third-party.

    Third-party plugins register in the entry point group `contacthub.connectors`;
    CONTACTHUB_LOAD_PLUGINS=a,b loads only the named plugins.
    """
    from contacthub.plugins import load_plugins

    loaded = load_plugins()
    for message in loaded.warnings:
        warn(message)
    infos = sorted(loaded.connectors.values(), key=lambda i: i.name)
    if as_json:
        print_json(
            [
                {"name": i.name, "origin": loaded.origins[i.name], "description": i.description, "options": dict(i.options)}
                for i in infos
            ]
        )
        return
    rows = [[i.name, loaded.origins[i.name], i.description] for i in infos]
    table(None, ["Connector", "From", "What it syncs with"], rows)
    if verbose or getattr(ctx.obj, "verbose", False):
        options = [[i.name, option, text] for i in infos for option, text in i.options.items()]
        table("Options (set in a [targets.NAME] table of the config file)", ["Connector", "Option", "What it sets"], options)
