"""`contacthub serve` (the embedded CardDAV server) and `contacthub demo`."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click

from contacthub.cli.output import plural, warn
from contacthub.cli.web_cmd import web_server, web_url
from contacthub.errors import ConfigError

DEMO_INTERVAL = 10.0  # seconds; a pass on an unchanged local server costs a few milliseconds


def _server_options(func):
    options = [
        click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (anything but loopback wants TLS)."),
        click.option("--port", type=int, default=5232, show_default=True, help="TCP port."),
        click.option("--tls-cert", type=click.Path(dir_okay=False, path_type=Path), help="TLS certificate (PEM) for https."),
        click.option("--tls-key", type=click.Path(dir_okay=False, path_type=Path), help="The certificate's private key (PEM)."),
        click.option("--interval", type=float, help="With sync: seconds between passes (default: [sync] interval, or 60)."),
        click.option("--new-password", is_flag=True, help="Make (and show) a new password; phones need it typed again."),
        click.option("--dry-run", is_flag=True, help="Show what would be set up and printed; write and start nothing."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.command("serve")
@_server_options
@click.option("--sync", "with_sync", is_flag=True, help="Also keep the business contacts in step with it (as `sync watch`).")
@click.option("--web", "with_web", is_flag=True, help="Also run the web app (as `contacthub web`) on the same host and TLS.")
@click.option("--web-port", type=int, default=8000, show_default=True, help="With --web: the web app's TCP port.")
@click.option("--insecure-http", is_flag=True, help="With --web off loopback without TLS: the web password crosses the network unencrypted.")
@click.pass_obj
def serve(hub, host, port, tls_cert, tls_key, interval, new_password, dry_run, with_sync, with_web, web_port, insecure_http) -> None:
    """Run a CardDAV server (Radicale, its own process) holding the business address book.

    Sets up target `phone` pointing at it and prints what to type on an iPhone
    or in DAVx5. Ctrl-C or SIGTERM stop it (and Radicale) cleanly. With --sync
    and `adopt_new = "TYPE"` in [targets.phone], contacts made on a phone
    become records of that type. With --web the web app runs beside it,
    under the same rules as `contacthub web` (login and TLS off loopback).
    """
    from contacthub.server import ServerOptions

    web = (web_port, insecure_http) if with_web else None
    _run(hub, ServerOptions(host, port, tls_cert, tls_key), with_sync, interval, new_password, dry_run, web=web)


@click.command("demo")
@_server_options
@click.option("--force", is_flag=True, help="Add the samples even to a database that holds your own records.")
@click.pass_obj
def demo(hub, host, port, tls_cert, tls_key, interval, new_password, dry_run, force) -> None:
    """Sample business contacts, served as a phone-ready address book and kept in sync (Ctrl-C ends it).

    Safe to run again: samples already in the database are left as they are.
    """
    from contacthub.demo import add_samples, count_foreign
    from contacthub.server import INSTALL_HINT, ServerOptions, radicale_missing

    if radicale_missing():
        _missing(INSTALL_HINT)
    options = ServerOptions(host, port, tls_cert, tls_key)
    if dry_run:
        click.echo("Would add the sample contacts that are not in the current database yet")
        _run(hub, options, True, interval, new_password, dry_run=True)
        return
    if not hub.config.exists:
        hub.config.save()
    database = hub.database()
    foreign = count_foreign(database)
    if foreign and not force:
        raise ConfigError(
            f"the current database holds {foreign} records of yours; the demo would add sample contacts to it. "
            "Try it apart with CONTACTHUB_HOME=/tmp/contacthub-demo contacthub demo, or give --force"
        )
    report = add_samples(database)
    click.echo(f"Sample contacts: {report.added} added, {report.present} already there")
    # A short default interval: in a demo, an edit made with the CLI should show on the phone soon.
    _run(hub, options, True, interval or DEMO_INTERVAL, new_password)


def _missing(hint: str):
    click.echo(hint, err=True)
    sys.exit(1)


def _run(hub, options, with_sync: bool, interval: float | None, renew: bool, dry_run: bool = False, web=None) -> None:
    from contacthub import server as srv
    from contacthub.server_process import Radicale, ensure_addressbook

    if srv.radicale_missing():
        _missing(srv.INSTALL_HINT)
    options.check()
    exposed = srv.exposure_warning(options)
    if exposed:
        warn(exposed)
    files = srv.ServerFiles.of(hub.paths.data_dir)
    if dry_run:
        if web:
            click.echo(f"Would run the web app on {web_url(options.host, web[0], options.tls_cert)}")
        click.echo(f"Would run Radicale on {options.host}:{options.port}, storage in {files.collections}")
        click.echo(f"Would set [targets.{srv.TARGET}] to {options.addressbook_url}" + (" and sync with it" if with_sync else ""))
        made = files.password.is_file() and not renew
        shown = None if made and not files.password_unshown.exists() else "(shown by the next start that works)"
        for line in srv.instructions(options, shown):
            click.echo(line)
        return
    # The web app's refusals (loopback/TLS, missing extra) come before anything starts.
    web_app = web_server(hub, options.host, web[0], options.tls_cert, options.tls_key, web[1], renew) if web else None
    password = srv.ensure_password(files, renew)
    srv.write_config(files, options)
    srv.configure_target(hub.config, files, options)

    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    radicale = Radicale(files, options)
    web_thread = None
    try:
        radicale.start()
        ensure_addressbook(options, srv.read_password(files))
        settings = _sync_settings(hub) if with_sync else None
        adopting = _adopt_new_type(hub, settings) if settings else None
        click.echo(f"Radicale is running (process {radicale.pid}), storage in {files.collections}")
        for line in srv.instructions(options, password):
            click.echo(line)
        srv.password_shown(files)
        if web_app is not None:
            web_thread = _start_web(web_app, stop)
            click.echo(f"contacthub web on {web_url(options.host, web[0], options.tls_cert)}")
        click.echo("")
        click.echo(f"Syncing the business contacts with target {srv.TARGET}; Ctrl-C stops." if settings else "Ctrl-C stops the server.")
        if adopting:
            click.echo(f"Contacts made on a phone become records of type {adopting} ([targets.{srv.TARGET}] adopt_new).")
        # Radicale dying (port taken later, crash) ends the command instead of failing every pass.
        threading.Thread(target=lambda: (radicale.process.wait(), stop.set()), daemon=True).start()
        if settings is not None:
            from contacthub.cli.sync_cmd import FilterWarnings
            from contacthub.sync.watch import watch

            passes = FilterWarnings().passes(hub, settings, _passes(hub, settings, adopting))
            watch(hub, settings, interval or settings.interval, passes, stop)
        else:
            stop.wait()
    finally:
        if web_app is not None:
            web_app.should_exit = True
            if web_thread is not None:
                web_thread.join(10)
        died = radicale.process is not None and radicale.process.poll() is not None
        radicale.stop()
    if died:
        raise srv.ServerError(f"serve: Radicale stopped unexpectedly; see {files.log}")
    click.echo("Stopped.")


def _start_web(server, stop: threading.Event) -> threading.Thread:
    """uvicorn in a thread beside Radicale; the web app failing to listen ends the command like Radicale dying."""

    def run():
        try:
            server.run()
        finally:
            stop.set()

    thread = threading.Thread(target=run, name="contacthub-web", daemon=True)
    thread.start()
    return thread


def _adopt_new_type(hub, settings) -> str | None:
    """The record type of option adopt_new, checked once at start (it must be a business-contact type)."""
    from contacthub.sync.adopt import adopt_new_type

    name = adopt_new_type(settings)
    if name is None:
        return None
    with hub.database().transaction(readonly=True) as tx:
        record_type = tx.types.get(name)  # an unknown type: one line naming the known ones
    if not record_type.is_business_contact:
        raise ConfigError(
            f"[targets.{settings.target.name}] adopt_new = {name!r}: it must be a type based on business-contact; "
            "other records are not synced, so the phone would lose the contact"
        )
    if settings.filters:
        warn(f"adopt_new: only phone contacts with a category of [sync] filter ({', '.join(settings.filters)}) are adopted")
    return record_type.name


def _passes(hub, settings, adopting: str | None):
    """One pass of the sync loop, then (with adopt_new) the phone's new plain contacts moved in.

    New ones show as plain contacts in the pass's changes; the first pass of a
    run also looks at every plain contact, so one missed earlier is taken then.
    """
    from contacthub.cli.sync_cmd import one_pass

    first = [True]

    def run(**kw):
        result = one_pass(hub, settings, quiet=True, **kw)
        if adopting and (first[0] or result.plan.plain):
            _adopt_new(hub, settings, adopting, kw.get("connector"))
        first[0] = False
        return result

    return run


def _adopt_new(hub, settings, type_name: str, connector) -> None:
    from contacthub.sync.adopt import adopt_new

    outcome = adopt_new(hub.database(), connector, settings, type_name, hub.paths.data_dir)
    for problem in outcome.problems:
        warn(problem)
    if outcome.records:
        click.echo(f"Adopted {plural(len(outcome.records), 'new phone contact')} as {type_name}")


def _sync_settings(hub):
    """The sync settings for target `phone`, starting sync there if it is not started."""
    from contacthub.server import TARGET
    from contacthub.sync.target import SyncSettings, parse_target, save_sync_settings, sync_settings

    current = sync_settings(hub.config)
    if current is not None:
        if current.target.name != TARGET:
            raise ConfigError(f"sync already runs with {current.target}: `contacthub sync change {TARGET}` moves it to this server")
        return current
    settings = SyncSettings(parse_target(TARGET, hub.config))
    connector = hub.open_target(settings.target)
    try:
        connector.check()
    finally:
        connector.close()
    save_sync_settings(hub.config, settings)
    return settings
