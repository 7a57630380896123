"""`python -m aria` runs the CLI."""

from aria.cli import app

app(prog_name="aria")
