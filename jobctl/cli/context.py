"""One CLI run's world: its streams and what they can show, its environment variables,
its config and data directories, its clock, its redactor and debug flag.

Commands read and print only through an ``Environment``, and hand the library what it
needs as arguments, so nothing below ``jobctl.cli`` looks at ``sys.std*`` or
``os.environ``. ``Environment.from_process()`` reads the real ones; tests build one.
"""

from __future__ import annotations

import codecs
import io
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, NoReturn, cast

from jobctl._clock import SYSTEM_CLOCK, Clock
from jobctl._dirs import config_dir, data_dir
from jobctl._redaction import Redactor
from jobctl._wording import Wording
from jobctl.errors import ExitCode, JobctlError, most_severe

if TYPE_CHECKING:
    from rich.console import Console

    from jobctl.client import Client
    from jobctl.config import Config
    from jobctl.errors import UsageError
    from jobctl.journal import Journal
    from jobctl.providers.registry import Registry
    from jobctl.refs import RefList

Stream = Literal["stdout", "stderr"]
_TRUE = ("1", "true", "yes", "on")

# The library's messages in the command line's words: its flags and commands.
CLI_WORDING = Wording(
    interval="--interval",
    max_interval="--max-interval",
    timeout="--timeout",
    max_size="--max-size",
    dir="--dir",
    download_to="--download",
    overwrite="--overwrite",
    config="--config",
    profile="--profile",
    no_track="--no-track or JOBCTL_NO_TRACK=1",
    status="--status",
    limit="--limit",
    online="without --offline",
    get_job="jobctl get {provider} ID",
    id_apart="PROVIDER ID...",
    refresh_link="jobctl get the job again for a fresh one",
    wait_for_files="jobctl watch {ref} --until-done --download DIR waits for it",
)


def refuse_empty_stdin(given: Sequence[str]) -> None:
    """Refs asked from stdin (``-``) that it did not hold: an error, never the journal's
    jobs instead (for the commands that fall back to them without refs)."""
    if "-" in given:
        from jobctl.errors import UsageError

        raise UsageError("no job refs on stdin; pipe refs (one provider:id per line) or pass them")


class OutputClosed(Exception):
    """stdout's reader went away (``| head -1``): the run ends quietly, killed by SIGPIPE."""


def silence(stream: IO[str] | None) -> None:
    """Point ``stream``'s file descriptor at /dev/null once nobody reads it: later writes,
    and the interpreter's flush at exit, then succeed instead of failing again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        os.dup2(devnull, stream.fileno())  # type: ignore[union-attr]
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass
    finally:
        os.close(devnull)


def dumps_json(value: Any, pretty: bool = False, ascii_only: bool = False) -> str:
    """JSON for stdout: unicode kept readable, but C1 controls and DEL escaped too.

    Everything beyond ASCII is escaped (``\\u00e9``) when ``ascii_only``: when stdout's
    encoding is not a UTF (``PYTHONIOENCODING=ascii``, a latin-1 locale).
    """
    import json
    import re

    text = json.dumps(
        value,
        ensure_ascii=ascii_only,
        indent=2 if pretty else None,
        separators=None if pretty else (",", ":"),
    )
    return re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)


def utf_encoding(encoding: str | None) -> bool:
    """Whether text in ``encoding`` (None: unknown, taken as UTF-8) can carry any character."""
    try:
        return codecs.lookup(encoding or "utf-8").name.startswith("utf")
    except LookupError:
        return False


def _isatty(stream: IO[str] | None) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):
        return False


class _Redacting:
    """A stream that scrubs the run's secrets from all that is written to it: what rich
    draws (a live table, progress bars) never reaches the terminal with one either."""

    def __init__(self, stream: IO[str], redact: Callable[[str], str]) -> None:
        self._stream, self._redact = stream, redact

    def write(self, text: str) -> int:
        self._stream.write(self._redact(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # isatty, encoding, fileno, flush...
        return getattr(self._stream, name)


class Environment:
    """Everything a command reads from outside itself, passed down as one object.

    ``stdin_isatty``/``stdout_isatty``/``stderr_isatty`` default to what the streams say;
    a test sets them to play a terminal. ``environ`` is never ``os.environ`` itself
    unless the caller passes it.
    """

    def __init__(
        self,
        *,
        stdin: IO[str],
        stdout: IO[str],
        stderr: IO[str],
        environ: Mapping[str, str],
        stdin_isatty: bool | None = None,
        stdout_isatty: bool | None = None,
        stderr_isatty: bool | None = None,
        clock: Clock = SYSTEM_CLOCK,
        debug: bool = False,
    ) -> None:
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self.environ = environ
        self.stdin_isatty = _isatty(stdin) if stdin_isatty is None else stdin_isatty
        self.stdout_isatty = _isatty(stdout) if stdout_isatty is None else stdout_isatty
        self.stderr_isatty = _isatty(stderr) if stderr_isatty is None else stderr_isatty
        self.config_dir: Path = config_dir(environ)
        self.data_dir: Path = data_dir(environ)
        self.clock = clock
        self.debug = debug
        self.redactor = Redactor()
        self.stderr_gone = False
        self._warnings_to: Callable[[str], None] | None = None

    @classmethod
    def from_process(cls, debug: bool = False) -> Environment:
        """The real streams and environment variables of this process."""
        # Started with stdout or stderr closed (>&-, 2>&-): /dev/null takes its place, and
        # its descriptor, so no file opened later (the journal, a socket) becomes 1 or 2;
        # the run goes on and its exit code still says how it went.
        stdout = sys.stdout if sys.stdout is not None else open(os.devnull, "w")  # noqa: SIM115
        stderr = sys.stderr if sys.stderr is not None else open(os.devnull, "w")  # noqa: SIM115
        return cls(stdin=sys.stdin, stdout=stdout, stderr=stderr, environ=os.environ, debug=debug)

    # --- what the terminal can do ---------------------------------------------------

    def stream(self, which: Stream) -> IO[str]:
        return self.stdout if which == "stdout" else self.stderr

    def isatty(self, which: Stream) -> bool:
        return self.stdout_isatty if which == "stdout" else self.stderr_isatty

    @property
    def no_color(self) -> bool:
        return "NO_COLOR" in self.environ

    @property
    def can_redraw(self) -> bool:
        """Not a terminal that cannot move its cursor (``TERM=dumb``)."""
        return self.environ.get("TERM", "").lower() not in ("dumb", "unknown")

    def live(self, which: Stream = "stdout") -> bool:
        """Redraw in place on ``which``: a terminal that can, and no ``NO_COLOR``."""
        return self.isatty(which) and self.can_redraw and not self.no_color

    def unicode(self, which: Stream = "stdout") -> bool:
        """Whether ``which`` can carry the status marks and the ellipsis."""
        return utf_encoding(getattr(self.stream(which), "encoding", None))

    @property
    def columns(self) -> int:
        """The terminal's width (``COLUMNS`` first); 80 when it cannot be known."""
        value = self.environ.get("COLUMNS", "")
        if value.isdigit() and int(value) > 0:
            return int(value)
        try:
            return os.get_terminal_size(self.stdout.fileno()).columns or 80
        except (AttributeError, OSError, ValueError):
            return 80

    @property
    def no_track(self) -> bool:
        """``JOBCTL_NO_TRACK=1``: the journal is left alone."""
        return self.environ.get("JOBCTL_NO_TRACK", "").strip().lower() in _TRUE

    def console(self, which: Stream = "stdout") -> Console:
        """A rich console on ``which``; whether it colours and moves the cursor is rich's
        reading of the stream itself, with this environment's variables."""
        from rich.console import Console

        return Console(
            file=cast("IO[str]", _Redacting(self.stream(which), self.redactor)),
            highlight=False,
            markup=False,
            emoji=False,
            soft_wrap=False,
            _environ=dict(self.environ),
        )

    # --- printing --------------------------------------------------------------------

    def out(self, text: str) -> None:
        """One line (or block) on stdout; a closed pipe ends the run quietly."""
        try:
            self.stdout.write(self.redactor(text) + "\n")
            self.stdout.flush()
        except BrokenPipeError:
            # Not an OSError past this point: Typer would turn EPIPE into exit 1.
            raise OutputClosed from None

    def out_json(self, value: Any) -> None:
        """``value`` as JSON on stdout: indented for a person at a terminal, compact in a pipe."""
        self.out(self.dumps(value, pretty=self.stdout_isatty))

    def dumps(self, value: Any, pretty: bool = False) -> str:
        return dumps_json(value, pretty, ascii_only=not self.unicode("stdout"))

    def err_text(self, text: str) -> None:
        """``text`` on stderr as it is. A stderr nobody reads any more (closed, or its
        reader gone) swallows it: the exit code must still say how the run went."""
        if self.stderr_gone:
            return
        try:
            self.stderr.write(text)
            self.stderr.flush()
        except (OSError, ValueError, AttributeError):
            self.stderr_gone = True
            silence(self.stderr)

    def _err(self, prefix: str, message: str) -> None:
        from jobctl._text import clean

        self.err_text(
            "".join(f"{prefix}{self.redactor(clean(line))}\n" for line in message.splitlines() or [""])
        )

    def warn(self, message: str) -> None:
        if self._warnings_to is not None:
            from jobctl._text import clean

            self._warnings_to(self.redactor(clean(f"warning: {message}")))
            return
        self._err("warning: ", message)

    @contextmanager
    def warnings_under(self, sink: Callable[[str], None]) -> Iterator[None]:
        """While a live display redraws, warnings go to ``sink`` (shown under it): a
        stderr line would tear the redraw."""
        self._warnings_to = sink
        try:
            yield
        finally:
            self._warnings_to = None

    def report(self, error: JobctlError) -> None:
        self._err("error: ", error.message)

    def note(self, message: str) -> None:
        """A plain informational line on stderr (a finished file, an undownloadable output)."""
        self._err("", message)

    def log(self, line: str) -> None:
        """The --debug request log."""
        self._err("debug: ", line)

    def finish(self, errors: Sequence[JobctlError], codes: Sequence[int] = ()) -> NoReturn:
        """Report ``errors`` one line each and end with the most severe exit code."""
        import typer

        for error in errors:
            self.report(error)
        raise typer.Exit(int(most_severe([e.exit_code for e in errors] + [ExitCode(c) for c in codes])))

    # --- what commands read ----------------------------------------------------------

    def load_config(
        self, profile: str | None, config: str | None, *, broken_as_errors: bool = False
    ) -> Config:
        """The run's config: its warnings printed once, and later ones (plugins) too."""
        from jobctl.config import load_config

        cfg = load_config(
            config, profile, self.environ, self.redactor, config_dir=self.config_dir, words=CLI_WORDING
        )
        for message in cfg.warnings:
            self.warn(message)
        if not broken_as_errors:  # a broken declaration stops only the refs that use it
            for problem in cfg.registry.problems():
                self.warn(f"{problem.message}; ignored until fixed")
        cfg.registry.warn = self.warn
        return cfg

    def default_registry(self) -> Registry:
        """The default config file's providers, for a command without --config; the
        built-ins alone when that file is broken."""
        from jobctl.config import load_config
        from jobctl.errors import ConfigError
        from jobctl.providers.registry import Registry

        try:
            registry = load_config(
                None, None, self.environ, self.redactor, config_dir=self.config_dir
            ).registry
        except ConfigError:
            return Registry(warn=self.warn)
        registry.warn = self.warn
        return registry

    def journal(self, no_track: bool = False) -> Journal:
        """The job journal, or one that records nothing (``--no-track``, JOBCTL_NO_TRACK)."""
        from jobctl.journal import Journal, NoJournal

        if no_track or self.no_track:
            return NoJournal()
        return Journal(self.data_dir / "journal.sqlite3", warn=self.warn, words=CLI_WORDING)

    def client(self, cfg: Config, journal: Journal | None = None) -> Client:
        """The library client for this run's config, logging to stderr under --debug."""
        from jobctl.client import Client

        return Client(
            config=cfg,
            env=self.environ,
            journal=journal,
            clock=self.clock,
            redactor=self.redactor,
            log=self.log if self.debug else None,
            wording=CLI_WORDING,
        )

    def stdin_lines(self) -> list[str]:
        if self.stdin is None or self.stdin.closed:
            return []
        try:
            return self.stdin.read().splitlines()
        except (OSError, ValueError):
            return []

    def read_refs(self, args: list[str], registry: Registry) -> tuple[RefList, list[UsageError]]:
        """Refs from arguments, '-' meaning stdin; no arguments and a piped stdin also reads it."""
        from jobctl.refs import parse_refs

        if not args and not self.stdin_isatty:
            args = ["-"]
        return parse_refs(args, self.stdin_lines() if "-" in args else None, registry, CLI_WORDING)
