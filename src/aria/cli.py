"""The `aria` command: serve, worker, setup, database and catalog verbs."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer
from rich.console import Console

from aria import __version__
from aria.config import Settings, SettingsError, get_settings
from aria.logs import configure_logging
from aria.runtime import Runtime

app = typer.Typer(help="ARIA Integration Marketplace.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema and migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(stderr=True, soft_wrap=True)
log = logging.getLogger("aria.cli")


def _fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def _settings() -> Settings:
    """Settings, with any bad ARIA_* variable reported as one line and exit code 2."""
    try:
        settings = get_settings()
    except SettingsError as error:
        raise _fail(str(error)) from None
    configure_logging(settings.log_format, settings.log_level)
    return settings


def _runtime() -> Runtime:
    return Runtime(_settings())


def _version(value: bool) -> None:
    if value:
        typer.echo(f"aria {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """ARIA Integration Marketplace."""


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    from aria.db import migrate

    runtime = _runtime()
    migrate.upgrade(runtime.engine, revision)
    console.print(f"database at revision {migrate.current_revision(runtime.engine)}")


@db_app.command("check")
def db_check() -> None:
    """Exit non-zero unless the database is at head and the models agree with it."""
    from aria.db import migrate

    runtime = _runtime()
    if not migrate.is_at_head(runtime.engine):
        raise _fail(
            f"database at {migrate.current_revision(runtime.engine)}, "
            f"head is {migrate.head_revision(runtime.engine)}; run `aria db upgrade`",
            1,
        )
    diff = migrate.schema_diff(runtime.engine)
    if diff:
        for item in diff:
            console.print(f"  {item}", highlight=False)
        raise _fail(f"models and migrations disagree ({len(diff)} differences)", 1)
    console.print("database at head; models and migrations agree")


@db_app.command("current")
def db_current() -> None:
    """Print the database's migration revision."""
    from aria.db import migrate

    typer.echo(migrate.current_revision(_runtime().engine) or "none")


def prepare(runtime: Runtime) -> None:
    """Everything `make run` needs before serving; each step is idempotent."""
    from aria.accounts.service import AccountError, ensure_first_owner
    from aria.db import migrate
    from aria.db.engine import transaction

    settings = runtime.settings
    settings.master_key_bytes()
    settings.session_secret()
    migrate.upgrade(runtime.engine)
    admin_password = settings.admin_password.get_secret_value() if settings.admin_password else None
    try:
        with transaction(runtime.sessions) as session:
            owner = ensure_first_owner(session, email=settings.admin_email, password=admin_password)
    except AccountError as error:
        raise _fail(str(error)) from None
    if owner.created:
        console.print(f"created organization {owner.organization!r} with owner {owner.email}")
        if owner.password:
            console.print(
                f"[bold]login:[/] {owner.email}  [bold]password:[/] {owner.password}  "
                "(shown once; set ARIA_ADMIN_PASSWORD to choose it)",
                highlight=False,
            )


@app.command()
def setup() -> None:
    """Migrate, create keys, and make sure a first organization and owner exist."""
    try:
        prepare(_runtime())
    except SettingsError as error:
        raise _fail(str(error)) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Bind port.")] = None,
    worker: Annotated[bool, typer.Option("--worker/--no-worker", help="Embedded worker.")] = True,
    prepare_first: Annotated[
        bool, typer.Option("--prepare/--no-prepare", help="Run `aria setup` first.")
    ] = False,
) -> None:
    """Serve the web app and API (with the background worker inside, unless --no-worker)."""
    import uvicorn

    from aria.app import create_app

    runtime = _runtime()
    if prepare_first:
        try:
            prepare(runtime)
        except SettingsError as error:
            raise _fail(str(error)) from None
    settings = runtime.settings
    application = create_app(runtime=runtime, embedded_worker=worker)
    uvicorn.run(
        application,
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        access_log=False,
    )


@app.command("worker")
def worker_command(
    threads: Annotated[int | None, typer.Option(help="Worker threads.")] = None,
) -> None:
    """Run queue workers (for ARIA_QUEUE_URL=redis://… deployments with many hosts)."""
    from huey.consumer import Consumer

    runtime = _runtime()
    runtime.tasks  # noqa: B018 - registers the tasks on this Huey instance
    consumer = Consumer(
        runtime.huey, workers=threads or runtime.settings.worker_threads, worker_type="thread"
    )
    consumer.run()


def run() -> None:  # pragma: no cover - console entry point wrapper
    """Entry point that turns settings errors raised outside Typer into one line."""
    try:
        app()
    except SettingsError as error:
        console.print(f"error: {error}", highlight=False)
        sys.exit(2)
