"""`flask shopsync ...`: operations on a running installation."""
from __future__ import annotations

import signal
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .extensions import db

shopsync_cli = AppGroup("shopsync", help="ShopSync operations.")


@shopsync_cli.command("rotate-keys")
def rotate_keys():
    """Re-encrypt every stored token with the newest key in TOKEN_ENCRYPTION_KEYS, one grant at a time."""
    from .security.credentials import rotate_all

    count = rotate_all(db.session)
    click.echo(f"Re-encrypted the tokens of {count} grant(s) with the newest key.")


@shopsync_cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int):
    """Run the embedded default: web app, sandbox and background jobs in one process."""
    from werkzeug.serving import run_simple

    from .embedded import start_background_work

    app = current_app._get_current_object()
    if "sandbox_app" in app.extensions:
        from .sandbox.app import keep_sandbox_state

        keep_sandbox_state(app)
        # A stop by SIGTERM (process managers, `kill`) exits like Ctrl-C, so the sandbox's last state is saved.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    if not app.config["REDIS_URL"]:
        start_background_work(app)
    click.echo(f"ShopSync on http://{host}:{port}  (sandbox: {'on' if app.config['SANDBOX_ENABLED'] else 'off'})")
    # run_simple, not app.run: Flask ignores app.run() inside a `flask` command.
    run_simple(host, port, app, threaded=True, use_reloader=False)


def register_cli(app: Flask) -> None:
    from .jobs.schedule import schedule_command

    shopsync_cli.add_command(schedule_command)
    from .shopify_commands import register as register_shopify_commands

    register_shopify_commands(shopsync_cli)
    from .sandbox.cli import sandbox_cli

    shopsync_cli.add_command(sandbox_cli)
    app.cli.add_command(shopsync_cli)
