"""Where output goes: data to stdout, messages and progress to stderr."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click
from rich.console import Console

# Off a terminal (a pipe, a CI log) rich would wrap at 80 columns; a log line is better left whole.
PIPE_WIDTH = 240
out = Console(highlight=False, width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else PIPE_WIDTH)
err = Console(
    stderr=True,
    highlight=False,
    width=None if sys.stderr.isatty() or os.environ.get("COLUMNS") else PIPE_WIDTH,
)


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2))
