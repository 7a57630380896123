"""The ``aria integration`` commands: list what is installed, test one, scaffold a new one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from aria.sdk.errors import ConfigError
from aria.sdk.registry import discover

integration_app = typer.Typer(
    help="Integrations: list installed ones, run the conformance suite, scaffold new ones.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

_STYLE = {"passed": "green", "failed": "bold red", "skipped": "yellow", "error": "bold red"}


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


@integration_app.command("list")
def list_integrations() -> None:
    """Show installed integrations (entry point group aria.integrations) and load failures."""
    registry = discover()
    if registry.integrations:
        table = Table(title="Installed integrations")
        for column in ("key", "name", "version", "category", "source module"):
            table.add_column(column)
        for key in sorted(registry.integrations):
            cls = registry.integrations[key]
            row = (key, cls.name, cls.version, cls.category, cls.__module__)
            table.add_row(*(escape(str(v)) for v in row))
        out.print(table)
    else:
        out.print("No integrations installed (entry point group 'aria.integrations').")
    if registry.errors:
        failed = Table(title="Failed to load", title_style="bold red")
        failed.add_column("entry point")
        failed.add_column("error", overflow="fold")
        for error in registry.errors:
            failed.add_row(escape(error.entry_point), escape(error.error_message))
        out.print(failed)


@integration_app.command("test")
def test_integration(
    key: Annotated[
        str, typer.Argument(help="An installed key, or module:Class (e.g. mypkg.mod:MyEdr).")
    ],
    keyword: Annotated[
        str | None, typer.Option("-k", help="Only checks matching this pytest -k expression.")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show pytest output.")] = False,
) -> None:
    """Run the conformance suite for KEY against its sandbox and print a report."""
    try:
        import pytest  # noqa: F401 - the suite runs on pytest
    except ImportError:
        raise _fail("the conformance suite needs pytest: pip install pytest") from None
    from aria.sdk.devtools.runner import resolve_target, run_conformance

    classes = {} if ":" in key else discover().integrations
    try:
        cls = resolve_target(key, classes)
    except LookupError as exc:
        raise _fail(str(exc)) from None
    report = run_conformance(cls, keyword=keyword, verbose=verbose)
    table = Table(title=escape(f"Conformance: {cls.key or cls.__name__} ({report.target})"))
    table.add_column("check", no_wrap=True)
    table.add_column("target", no_wrap=True)
    table.add_column("result", no_wrap=True)
    for result in report.results:
        style = _STYLE[result.outcome]
        table.add_row(
            result.check.removeprefix("test_"),
            escape(result.param),
            f"[{style}]{result.outcome}[/]",
        )
    out.print(table)
    for result in report.results:
        if result.outcome != "passed":
            label = result.check + (f"[{result.param}]" if result.param else "")
            style = _STYLE[result.outcome]
            out.print(f"[{style}]{result.outcome}[/] {escape(label)}: {escape(result.message)}")
    summary = ", ".join(
        f"{report.count(o)} {o}"
        for o in ("passed", "failed", "skipped", "error")
        if report.count(o)
    )
    if not report.results:
        raise _fail(f"no checks ran (pytest exit code {report.exit_code}); check -k", 1)
    out.print(f"{summary}", style="green" if report.ok else "bold red")
    if not report.ok:
        raise typer.Exit(1)


@integration_app.command("new")
def new_integration(
    key: Annotated[str, typer.Argument(help="Lowercase slug, e.g. acme-edr.")],
    directory: Annotated[
        Path, typer.Option("--dir", help="Where to create aria-integration-KEY/.")
    ] = Path(),
    name: Annotated[str | None, typer.Option(help="Display name (default from KEY).")] = None,
    vendor: Annotated[str | None, typer.Option(help="Vendor name.")] = None,
    category: Annotated[str, typer.Option(help="Catalog category.")] = "edr",
) -> None:
    """Scaffold an integration package (integration, sandbox, test, README, pyproject)."""
    from aria.sdk.devtools.scaffold import plan, scaffold

    try:
        spec = plan(key, name=name, vendor=vendor, category=category)
        root = scaffold(spec, directory)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    except FileExistsError as exc:
        raise _fail(str(exc)) from None
    out.print(f"Created {root}", highlight=False)
    hint = f"Next: cd {root} && PYTHONPATH=src pytest (or pip install -e '.[test]' && pytest)"
    out.print(escape(hint + "; then read README.md."), highlight=False)


__all__ = ["integration_app"]
