"""Developer tools for integration authors: the ``aria integration`` commands.

``integration_app`` is a Typer app mounted by ``aria.cli`` as ``aria integration``:
``list`` (installed integrations and load errors), ``test KEY`` (the conformance suite with a
readable report) and ``new KEY`` (scaffold a package that passes the suite as generated).
"""

from aria.sdk.devtools.cli import integration_app

__all__ = ["integration_app"]
