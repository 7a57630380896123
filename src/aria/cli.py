"""The `aria` command: serve, worker, setup, database and catalog verbs."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer
from rich.console import Console

from aria import __version__
from aria.config import Settings, SettingsError, get_settings
from aria.heap import freeze_startup_heap
from aria.logs import configure_logging
from aria.runtime import Runtime
from aria.sdk.devtools import integration_app
from aria.vault.cli import vault_app

app = typer.Typer(help="ARIA Integration Marketplace.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema and migrations.", no_args_is_help=True)
user_app = typer.Typer(help="Users and memberships.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
catalog_app = typer.Typer(help="The integration catalog.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
app.add_typer(db_app, name="db")
app.add_typer(vault_app, name="vault")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(integration_app, name="integration")
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


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="The user's email (their login).")],
    org: Annotated[str, typer.Option(help="Organization name; created if missing.")],
    role: Annotated[str, typer.Option(help="owner, admin, integration_manager, analyst, viewer")],
    password: Annotated[
        str | None,
        typer.Option(help="Password (min. 12 characters); prompted for when omitted."),
    ] = None,
) -> None:
    """Create a user (or reuse an existing one) and give them ROLE in ORG."""
    from aria.accounts import service
    from aria.audit import service as audit
    from aria.db.engine import transaction

    runtime = _runtime()
    try:
        with transaction(runtime.sessions) as session:
            organization = service.get_organization_by_name(session, name=org)
            if organization is None:
                organization = service.create_organization(session, name=org)
            user = service.get_user_by_email(session, email=email)
            if user is None:
                secret = password or typer.prompt("Password", hide_input=True)
                user = service.create_user(session, email=email, password=secret)
            if service.get_membership(session, organization_id=organization.id, user_id=user.id):
                raise service.AccountError(f"{user.email} is already a member of {org}")
            service.add_membership(session, organization=organization, user=user, role=role)
            audit.append(
                session,
                key=runtime.audit_key,
                action="member.added",
                actor="cli",
                organization_id=organization.id,
                target_type="user",
                target_id=str(user.id),
                details={"email": user.email, "role": role},
            )
    except service.AccountError as error:
        raise _fail(str(error)) from None
    console.print(f"{user.email} is {role} of {org}")


@token_app.command("create")
def token_create(
    email: Annotated[str, typer.Option(help="The user the token acts for.")],
    name: Annotated[str, typer.Option(help="A label, e.g. the automation using it.")],
    org: Annotated[
        str | None, typer.Option(help="Organization (default: the user's first).")
    ] = None,
) -> None:
    """Create an API token and print it once (it is stored only as a hash)."""
    from sqlalchemy import select

    from aria.accounts import service, tokens
    from aria.accounts.models import Membership, Organization
    from aria.audit import service as audit
    from aria.db.engine import transaction

    runtime = _runtime()
    with transaction(runtime.sessions) as session:
        user = service.get_user_by_email(session, email=email)
        if user is None:
            raise _fail(f"no user {email}")
        query = (
            select(Organization)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(Membership.user_id == user.id)
            .order_by(Membership.created_at)
        )
        if org is not None:
            query = query.where(Organization.name == org)
        organization = session.scalars(query).first()
        if organization is None:
            raise _fail(f"{email} is not a member of {org or 'any organization'}")
        issued = tokens.create(session, organization_id=organization.id, user_id=user.id, name=name)
        audit.append(
            session,
            key=runtime.audit_key,
            action="token.created",
            actor="cli",
            actor_user_id=user.id,
            organization_id=organization.id,
            target_type="api_token",
            target_id=str(issued.record.id),
            details={"name": name, "prefix": issued.record.prefix},
        )
    console.print(f"token {issued.record.id} for {email} in {organization.name} (shown once):")
    typer.echo(issued.plaintext)


@token_app.command("revoke")
def token_revoke(
    token: Annotated[str, typer.Argument(help="The token id, or the token itself.")],
) -> None:
    """Revoke a token by id or by value (for a leaked token)."""
    import uuid

    from sqlalchemy import select

    from aria.accounts import tokens
    from aria.accounts.models import ApiToken
    from aria.audit import service as audit
    from aria.db.engine import transaction

    runtime = _runtime()
    with transaction(runtime.sessions) as session:
        if token.startswith(tokens.TOKEN_PREFIX):
            record = session.scalar(
                select(ApiToken).where(ApiToken.token_hash == tokens.hash_token(token))
            )
        else:
            try:
                record = session.get(ApiToken, uuid.UUID(token))
            except ValueError:
                record = None
        if record is None:
            raise _fail("no such token")
        if not tokens.revoke(session, token=record):
            console.print(f"token {record.id} was already revoked")
            return
        audit.append(
            session,
            key=runtime.audit_key,
            action="token.revoked",
            actor="cli",
            organization_id=record.organization_id,
            target_type="api_token",
            target_id=str(record.id),
            details={"name": record.name, "prefix": record.prefix},
        )
    console.print(f"revoked token {record.id} ({record.prefix}…)")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit log's hash chain; exit 1 at the first tampered entry."""
    from aria.audit import service as audit

    runtime = _runtime()
    with runtime.sessions() as session:
        result = audit.verify(session, key=runtime.audit_key)
    if not result.ok:
        raise _fail(
            f"audit log tampered at entry {result.broken_at}: {result.reason} "
            f"({result.checked} entries verified before it)",
            1,
        )
    console.print(f"audit log intact: {result.checked} entries verified")


def sync_catalog(runtime: Runtime) -> None:
    """Write every registered integration into the catalog and report what changed."""
    from aria.catalog.service import sync_catalog as sync
    from aria.db.engine import transaction

    with transaction(runtime.sessions) as session:
        report = sync(session, registry=runtime.registry)
    console.print(
        f"catalog: {len(report.created)} new, {len(report.updated)} updated, "
        f"{len(report.deprecated)} deprecated, {report.unchanged} unchanged"
    )
    for error in report.load_errors:
        console.print(f"[yellow]integration failed to load:[/] {error}", highlight=False)


@catalog_app.command("sync")
def catalog_sync() -> None:
    """Register installed integrations in the catalog (idempotent; also run at start)."""
    sync_catalog(_runtime())


def prepare(runtime: Runtime) -> None:
    """Everything `make run` needs before serving; each step is idempotent."""
    from aria.accounts.service import AccountError, ensure_first_owner
    from aria.db import migrate
    from aria.db.engine import transaction

    settings = runtime.settings
    settings.master_key_bytes()
    settings.session_secret()
    migrate.upgrade(runtime.engine)
    sync_catalog(runtime)
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
    application = create_app(runtime=runtime, embedded_worker=worker, background_checkpoints=True)
    freeze_startup_heap()
    uvicorn.run(
        application,
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        access_log=False,
    )


@app.command("sync")
def sync_command(
    target: Annotated[str, typer.Argument(help="Installation id, or integration key.")],
    full: Annotated[bool, typer.Option("--full", help="Full sync instead of incremental.")] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Run here and show progress.")] = False,
    org: Annotated[str | None, typer.Option(help="Organization (when a key is ambiguous).")] = None,
) -> None:
    """Queue a sync (or, with --wait, run it here with a progress bar)."""
    import uuid

    from rich.progress import BarColumn, Progress, TextColumn
    from sqlalchemy import select

    from aria.accounts.models import Organization
    from aria.catalog.models import CatalogEntry
    from aria.db.engine import transaction
    from aria.errors import AppError
    from aria.installs.models import Installation
    from aria.sync import service
    from aria.sync.models import SyncJob

    runtime = _runtime()
    with transaction(runtime.sessions) as session:
        query = select(Installation).join(
            CatalogEntry, CatalogEntry.id == Installation.integration_id
        )
        try:
            query = query.where(Installation.id == uuid.UUID(target))
        except ValueError:
            query = query.where(CatalogEntry.key == target)
        if org is not None:
            query = query.join(Organization, Organization.id == Installation.organization_id).where(
                Organization.name == org
            )
        found = session.scalars(query).all()
        if not found:
            raise _fail(f"no installation matches {target!r}")
        if len(found) > 1:
            raise _fail(f"{target!r} is installed in {len(found)} organizations; pass --org")
        try:
            job = service.create(
                session,
                installation=found[0],
                job_type="full" if full else "incremental",
                triggered_by="cli",
            )
        except AppError as error:
            raise _fail(error.message) from None
        job_id = job.id
    if not wait:
        runtime.sync_tasks.enqueue(job_id)
        console.print(f"queued sync job {job_id}")
        return
    import threading

    from aria.sync.runner import run_job

    outcome: dict[str, str] = {}
    worker = threading.Thread(
        target=lambda: outcome.update(status=run_job(runtime, job_id)), daemon=True
    )
    worker.start()
    with Progress(
        TextColumn("[bold]sync[/]"),
        BarColumn(),
        TextColumn("{task.fields[records]} records"),
        console=console,
        transient=True,
    ) as progress:
        bar = progress.add_task("sync", total=100, records=0)
        while worker.is_alive():
            worker.join(0.5)
            with runtime.sessions() as session:
                current = session.get(SyncJob, job_id)
                if current is not None:
                    progress.update(
                        bar, completed=float(current.progress), records=current.records_processed
                    )
    with runtime.sessions() as session:
        done = session.get(SyncJob, job_id)
        assert done is not None
        console.print(
            f"sync {done.status}: {done.records_processed} records "
            f"({done.records_created} new, {done.records_updated} changed, "
            f"{done.records_failed} failed)"
            + (f" — {done.error_message}" if done.error_message else "")
        )
        if done.status != "succeeded":
            raise typer.Exit(1)


@app.command("worker")
def worker_command(
    threads: Annotated[int | None, typer.Option(help="Worker threads.")] = None,
) -> None:
    """Run queue workers (for ARIA_QUEUE_URL=redis://… deployments with many hosts)."""
    from aria.db.checkpoint import background_checkpoints
    from aria.sync.queue import build_consumer

    runtime = _runtime()
    runtime.tasks  # noqa: B018 - registers the tasks on this Huey instance
    consumer = build_consumer(runtime.huey, workers=threads or runtime.settings.worker_threads)
    freeze_startup_heap()
    with background_checkpoints(runtime.engine):  # none inside a commit (see the module)
        consumer.run()


def run() -> None:  # pragma: no cover - console entry point wrapper
    """Entry point that turns settings errors raised outside Typer into one line."""
    try:
        app()
    except SettingsError as error:
        console.print(f"error: {error}", highlight=False)
        sys.exit(2)
