"""`contacthub web`: the web app over the business database (the `web` extra: Starlette, Jinja2, uvicorn)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click

from contacthub.errors import UsageError

WEB_MODULES = ("starlette", "jinja2", "uvicorn", "multipart", "itsdangerous")


@click.command("web")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on; anything but loopback wants a login and TLS.")
@click.option("--port", type=int, default=8000, show_default=True, help="TCP port.")
@click.option("--tls-cert", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="TLS certificate (PEM) for https.")
@click.option("--tls-key", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="The certificate's private key (PEM).")
@click.option("--insecure-http", is_flag=True, help="Off loopback without TLS: the password and contacts cross the network unencrypted.")
@click.option("--new-password", is_flag=True, help="Make (and show once) a new login password.")
@click.pass_obj
def web(hub, host: str, port: int, tls_cert: Path | None, tls_key: Path | None, insecure_http: bool, new_password: bool) -> None:
    """Run the web app: contacts, import, duplicates, sync and databases in a browser.

    On 127.0.0.1 (the default) nobody else can reach it and there is no login.
    On any other address it asks for a password, made and shown once by the
    first start (only its hash is kept; --new-password replaces it), and it
    wants --tls-cert and --tls-key, or --insecure-http said out loud.
    """
    server = web_server(hub, host, port, tls_cert, tls_key, insecure_http, new_password)
    click.echo(f"contacthub web on {web_url(host, port, tls_cert)} (Ctrl-C ends it)")
    server.run()


def web_url(host: str, port: int, tls_cert) -> str:
    return f"{'https' if tls_cert else 'http'}://{host}:{port}/"


def web_server(hub, host: str, port: int, tls_cert: Path | None, tls_key: Path | None, insecure_http: bool, new_password: bool):
    """The checked, ready uvicorn.Server for the web app (shared by `web` and `serve --web`).

    Every start rule lives here once: the extra present, both TLS files, the
    loopback/TLS refusal, the one-time password, the database opened first.
    """
    missing = [m for m in WEB_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(f"the web app needs the web extra ({', '.join(missing)} missing): pip install 'contacthub[web]'")
    if bool(tls_cert) != bool(tls_key):
        raise UsageError("give both --tls-cert and --tls-key")
    from contacthub.server import is_loopback
    from contacthub.web.security import WebFiles, ensure_password, session_key, start_refusal

    refusal = start_refusal(host, bool(tls_cert), insecure_http)
    if refusal:
        raise UsageError(refusal)
    files = WebFiles.of(hub.paths.data_dir)
    password_hash = None
    if not is_loopback(host):
        shown = ensure_password(files, renew=new_password)
        password_hash = files.password_hash.read_text(encoding="utf-8").strip()
        if shown:
            click.echo(f"Login password (shown once; only its hash is kept): {shown}")
    hub.database()  # open (and migrate) before listening: a bad database is one line, not a 500 page
    import uvicorn

    from contacthub.services.hub import Workspace
    from contacthub.web.app import create_app

    workspace = Workspace(str(hub.paths.config_file))
    click.get_current_context().call_on_close(workspace.close)  # the web app's databases, as the command's own
    app = create_app(workspace, secret_key=session_key(files), password_hash=password_hash, https=bool(tls_cert))
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", server_header=False,
        ssl_certfile=str(tls_cert) if tls_cert else None, ssl_keyfile=str(tls_key) if tls_key else None,
    )  # fmt: skip
    return uvicorn.Server(config)
