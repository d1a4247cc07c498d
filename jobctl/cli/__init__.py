"""The command line: parse, call the library, render."""

from jobctl.cli.app import COMMANDS, build_app, main, run

__all__ = ["COMMANDS", "build_app", "main", "run"]
