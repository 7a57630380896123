"""`aria vault rotate` and `aria vault status`.

Why here and not in aria.cli: the vault owns its verbs; aria.cli only mounts this sub-app.
The shared helpers (settings, runtime, error line) are imported inside each command, so
importing this module never pulls aria.cli in (no import cycle).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from aria.runtime import Runtime

vault_app = typer.Typer(
    help="Credential vault: key rotation and key status.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold key material
)


def _prepared() -> tuple[Runtime, bytes]:
    """The runtime and master key, or one error line if settings or the schema are not ready."""
    from aria.cli import _fail, _runtime
    from aria.config import SettingsError
    from aria.db import migrate

    runtime = _runtime()
    try:
        master_key = runtime.settings.master_key_bytes()
    except SettingsError as error:
        raise _fail(str(error)) from None
    if not migrate.is_at_head(runtime.engine):
        raise _fail(
            f"database at {migrate.current_revision(runtime.engine) or 'no revision'}, head is "
            f"{migrate.head_revision(runtime.engine)}; run `aria db upgrade`",
            1,
        )
    return runtime, master_key


@vault_app.command("rotate")
def rotate_command(
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, max=100_000, help="Data keys per transaction.")
    ] = 500,
    new_key: Annotated[
        bool,
        typer.Option(
            "--new-key",
            help="Create a new key-encryption key even if an earlier rotation is unfinished "
            "(by default an unfinished rotation is resumed onto its key).",
        ),
    ] = False,
) -> None:
    """Make a new key-encryption key active and re-wrap every data key onto it.

    No credential is decrypted. Resumable: if interrupted, run it again to finish.
    """
    from aria.cli import _fail, console
    from aria.vault import service
    from aria.vault.errors import VaultError

    runtime, master_key = _prepared()
    columns = (
        TextColumn("re-wrapping data keys"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("rotate", total=None)

            def on_progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = service.rotate(
                runtime.sessions,
                master_key=master_key,
                batch_size=batch_size,
                progress=on_progress,
                new_key=new_key,
            )
    except VaultError as error:
        raise _fail(str(error), 1) from None
    finally:
        runtime.close()
    if result.created:
        retired = f" (retired {', '.join(result.retired)})" if result.retired else ""
        typer.echo(f"new key-encryption key {result.key_id} is active{retired}")
    else:
        typer.echo(f"resumed the unfinished rotation onto {result.key_id}")
    typer.echo(f"re-wrapped {result.rewrapped} data keys onto {result.key_id}")


@vault_app.command("status")
def status_command() -> None:
    """Show key-encryption keys, their status, and how many data keys each still wraps."""
    from aria.cli import _fail
    from aria.vault import service
    from aria.vault.errors import VaultError

    runtime, _ = _prepared()
    try:
        with runtime.sessions() as session:
            keys = service.status(session)
            pending = service.pending_rewrap(session)
    except VaultError as error:
        raise _fail(str(error), 1) from None
    finally:
        runtime.close()
    out = Console(soft_wrap=True)
    if not keys:
        out.print("the vault has no keys yet (the first is created when a secret is stored)")
        return
    table = Table("key id", "status", "created", "data keys")
    for key in keys:
        table.add_row(
            key.key_id,
            key.status,
            key.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            str(key.data_key_count),
        )
    out.print(table)
    if pending:
        out.print(f"{pending} data keys are not on the active key: run `aria vault rotate`")
