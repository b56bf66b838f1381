"""`contacthub auth login|logout TARGET`: sign in to targets that need it (Microsoft 365)."""

from __future__ import annotations

import click

from contacthub.cli.output import echo
from contacthub.errors import ConfigError


def _signing_in(hub, target_spec: str, action: str):
    """The target, its plugin's sign-in function for `action`, and the target's context."""
    from contacthub.plugins import connector_info
    from contacthub.sync.target import connector_context, parse_target

    target = parse_target(target_spec, hub.config)
    function = getattr(connector_info(target.connector), action)
    if function is None:
        raise ConfigError(f"connector '{target.connector}' has no sign-in: its credentials come from the config file")
    return target, function, connector_context(target, hub.paths.cache_dir)


@click.group()
def auth() -> None:
    """Sign in to a target, for connectors that need it (graph, sharepoint).

    The token is cached for the target (encrypted by the OS where it can be,
    else in a file only you can read) and refreshed without asking again.
    """


DRY_RUN = click.option("--dry-run", is_flag=True, help="Check the target and say what would happen; keep the token cache as it is.")


@auth.command("login")
@click.argument("target")
@DRY_RUN
@click.pass_obj
def login(hub, target: str, dry_run: bool) -> None:
    """Sign in for TARGET (a [targets.NAME] or CONNECTOR:LOCATION); follow the instructions shown."""
    chosen, function, context = _signing_in(hub, target, "login")
    if dry_run:
        echo(f"Would sign in to {chosen} ({chosen.connector})")
        return
    who = function(chosen.options, context, lambda message: echo(message, err=True, newlines=True))
    echo(f"Signed in to {chosen} as {who}")


@auth.command("logout")
@click.argument("target")
@DRY_RUN
@click.pass_obj
def logout(hub, target: str, dry_run: bool) -> None:
    """Forget the sign-in (cached tokens) of TARGET."""
    chosen, function, context = _signing_in(hub, target, "logout")
    if dry_run:
        echo(f"Would forget the sign-in of {chosen}")
        return
    function(chosen.options, context)
    echo(f"Signed out of {chosen}")
