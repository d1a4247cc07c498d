"""What one CLI run reads and writes with: its streams, its redactor, its debug flag.

The commands print only through an ``Environment``, so tests and embedders can
swap the streams, and the secrets one run loaded are scrubbed from everything it
prints (stdout included) without any process-wide state.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING

from jobctl._redaction import Redactor
from jobctl._text import clean
from jobctl.errors import JobctlError

if TYPE_CHECKING:
    from jobctl.client import Client
    from jobctl.config import Config


class Environment:
    def __init__(
        self,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
        stdin: IO[str] | None = None,
        environ: Mapping[str, str] | None = None,
        debug: bool = False,
    ) -> None:
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.stdin = stdin if stdin is not None else sys.stdin
        self.environ = os.environ if environ is None else environ
        self.debug = debug
        self.redactor = Redactor()

    def out(self, text: str) -> None:
        """One line (or block) on stdout; a closed pipe raises BrokenPipeError to the boundary."""
        self.stdout.write(self.redactor(text) + "\n")
        self.stdout.flush()

    def _err(self, prefix: str, message: str) -> None:
        for line in message.splitlines() or [""]:
            self.stderr.write(f"{prefix}{self.redactor(clean(line))}\n")
        self.stderr.flush()

    def warn(self, message: str) -> None:
        self._err("warning: ", message)

    def report(self, error: JobctlError) -> None:
        self._err("error: ", error.message)

    def note(self, message: str) -> None:
        """A plain informational line on stderr (a finished file, an undownloadable output)."""
        self._err("", message)

    def log(self, line: str) -> None:
        """The --debug request log."""
        self._err("debug: ", line)

    def load_config(
        self, profile: str | None, config: str | None, *, broken_as_errors: bool = False
    ) -> Config:
        """The run's config: its warnings printed once, and later ones (plugins) too."""
        from jobctl.config import load_config

        cfg = load_config(config, profile, self.environ, self.redactor)
        for message in cfg.warnings:
            self.warn(message)
        if not broken_as_errors:  # a broken declaration stops only the refs that use it
            for problem in cfg.registry.problems():
                self.warn(f"{problem.message}; ignored until fixed")
        cfg.registry.warn = self.warn
        return cfg

    def client(self, cfg: Config) -> Client:
        """The library client for this run's config."""
        from jobctl.client import Client

        return Client(
            config=cfg, env=self.environ, redactor=self.redactor, log=self.log if self.debug else None
        )

    def stdin_lines(self) -> list[str]:
        if self.stdin is None or self.stdin.closed:
            return []
        try:
            return self.stdin.read().splitlines()
        except (OSError, ValueError):
            return []

    def stdin_is_terminal(self) -> bool:
        try:
            return bool(self.stdin is not None and self.stdin.isatty())
        except (AttributeError, ValueError):
            return False
