"""The command line's one app: which commands exist, how one command line becomes a
Typer app, and ``run``, the one error boundary.

A JobctlError becomes one stderr line and its exit code; anything unexpected becomes
one line too (with a traceback under --debug). Nothing else calls ``sys.exit``.
"""

from __future__ import annotations

import gc
import inspect
import io
import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from jobctl import __version__
from jobctl.cli import config, download, gallery, jobs, remote, simulator, watch
from jobctl.cli.context import Environment, OutputClosed, silence
from jobctl.errors import ExitCode, JobctlError, UsageError

if TYPE_CHECKING:
    import re

# Every command, in the order `jobctl --help` lists them (the `config` group comes last).
COMMANDS: dict[str, Callable[..., None]] = {
    "get": jobs.get,
    "watch": watch.watch,
    "download": download.download,
    "gallery": gallery.gallery,
    "ls": jobs.list_jobs,
    "cancel": remote.cancel,
    "forget": jobs.forget,
    "providers": config.providers,
    "sim": simulator.sim,
    "demo": simulator.demo,
}
CONFIG_COMMANDS = config.CONFIG_COMMANDS
_SETTINGS: dict[str, Any] = {
    "no_args_is_help": True,
    "add_completion": False,  # the root app turns it on: --install-completion, --show-completion
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,
    "context_settings": {"help_option_names": ["-h", "--help"]},
}
VERSION_LINE = f"jobctl {__version__}"


def _listing_only() -> None:
    """Stands in for a command while only the command list is shown; never called."""
    raise AssertionError("unreachable: registered only to list commands")


def build_app(argv: list[str], environ: Mapping[str, str] | None = None) -> typer.Typer:
    """The Typer app for one command line.

    Typer builds the parser of every registered command on each run, so ``jobctl get
    ...`` registers only ``get``; ``jobctl``/``--help`` registers every command by name
    and help text alone (that is all the listing shows); anything else (a typo, an
    unknown option) gets the full tree, so its error reads as usual.
    """
    environ = os.environ if environ is None else environ
    completing = "_JOBCTL_COMPLETE" in environ
    first = _completing(environ) if completing else argv[0] if argv else "--help"
    listing = first in ("--help", "-h")
    known = first in COMMANDS or first == "config"
    # --install-completion and --show-completion are root options: a run of one command
    # skips building them (a Tab press needs Typer's completion set up, so it keeps them).
    app = typer.Typer(name="jobctl", **{**_SETTINGS, "add_completion": completing or not known})
    app.callback()(_root)
    for name, fn in COMMANDS.items():
        if listing:
            app.command(name, help=inspect.getdoc(fn))(_listing_only)
        elif name == first or not known:
            app.command(name)(fn)
    if listing:
        app.command("config", help=config.HELP)(_listing_only)
    elif first == "config" or not known:
        config_app = typer.Typer(help=config.HELP, **_SETTINGS)
        for word, handler in CONFIG_COMMANDS.items():
            config_app.command(word)(handler)
        app.add_typer(config_app, name="config")
    return app


def _completing(environ: Mapping[str, str]) -> str:
    """The command a Tab press completes for, as ``build_app`` wants it: the command
    word once it is typed whole, else ``--help`` (the listing: names and help only)."""
    import shlex

    words = environ.get("COMP_WORDS") or environ.get("_TYPER_COMPLETE_ARGS") or ""
    try:
        typed = shlex.split(words)
    except ValueError:
        return ""
    current = int(environ.get("COMP_CWORD", len(typed) - (0 if words.endswith(" ") else 1)))
    return typed[1] if len(typed) > 1 and current > 1 else "--help"


def _version(value: bool) -> None:
    if value:
        typer.echo(VERSION_LINE)
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Is it done, did it fail, where is the output? One CLI for jobs on hosted AI APIs.

    \b
    Examples:
      jobctl demo                              # try it offline, no keys needed
      jobctl get krea 4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20
      jobctl get krea:ID creatify:ID --json | jq -r '.[].status'
    """


def usage_error(env: Environment, exc: typer.TyperException, argv: list[str]) -> int:
    """Typer's complaint about the command line as one ``error:`` line naming the help."""
    import re

    message = exc.format_message()
    if message.startswith("Usage:"):  # a group given no command: its help, as before
        env.err_text(message.rstrip() + "\n")
        return int(ExitCode.USAGE)
    message = re.sub(r"is not a valid (float|int|integer)\.?", _number_word, message)
    message = re.sub(r" \(Possible options: (.*)\)$", r" (did you mean \1?)", message)
    message = message[:1].lower() + message[1:].rstrip(".")
    env.report(UsageError(f"{message}; see {_command_path(exc, argv)} --help"))
    return int(getattr(exc, "exit_code", ExitCode.USAGE))


def _number_word(match: re.Match[str]) -> str:
    return "is not a number" if match.group(1) == "float" else "is not a whole number"


def _command_path(exc: typer.TyperException, argv: list[str]) -> str:
    """``jobctl get`` for an error in get's options, from Typer's context or else from argv."""
    path = getattr(getattr(exc, "ctx", None), "command_path", None)
    if isinstance(path, str) and path != "jobctl":
        return path
    words = ["jobctl"]
    if argv and (argv[0] in COMMANDS or argv[0] == "config"):
        words.append(argv[0])
        if argv[0] == "config" and len(argv) > 1 and argv[1] in CONFIG_COMMANDS:
            words.append(argv[1])
    return " ".join(words)


def run(argv: list[str], env: Environment | None = None) -> int:
    """Run one command line and return its exit code: the one error boundary."""
    # --debug is read here, before parsing, so even a parse-time crash shows its traceback.
    env = env or Environment.from_process(debug="--debug" in argv)
    try:
        if argv == ["--version"]:  # answered before Typer builds every command's parser
            env.out(VERSION_LINE)
            return 0
        # Not standalone: Typer's own usage errors come back as exceptions, to print below
        # in the same one-line style as every other error.
        app = build_app(argv, env.environ)
        code = app(args=argv, prog_name="jobctl", standalone_mode=False, obj=env)
        return code if isinstance(code, int) else 0
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except JobctlError as exc:
        env.report(exc)
        return int(exc.exit_code)
    except typer.TyperException as exc:  # unknown option, missing value, bad number...
        return usage_error(env, exc, argv)
    except KeyboardInterrupt:
        env.err_text("\ninterrupted\n")
        return int(ExitCode.INTERRUPTED)
    except (OutputClosed, BrokenPipeError):  # stderr's own failures never get this far
        silence(env.stdout)
        return int(ExitCode.BROKEN_PIPE)
    except Exception as exc:  # the last line of defence: one line, no traceback
        if env.debug:
            import traceback

            env.err_text(env.redactor("".join(traceback.format_exception(exc))))
        env.err_text(
            env.redactor(f"error: internal error: {type(exc).__name__}: {exc}") + "\n"
            "(run again with --debug for details and report it)\n"
        )
        return int(ExitCode.UPSTREAM)


def tolerant_streams() -> None:
    """Text that stdout's or stderr's encoding cannot carry (``PYTHONIOENCODING=ascii``)
    prints as backslash escapes (``caf\\xe9``) instead of ending the run."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and not stream.closed:
            stream.reconfigure(errors="backslashreplace")


def end_by_sigpipe() -> None:
    """End as a Unix tool does once its reader went away: killed by SIGPIPE, which a shell
    reports as 141 and ``set -o pipefail`` as a failure, never as success.

    Python ignores SIGPIPE (a write raises BrokenPipeError instead), and it must while the
    run lasts: sockets raise it too. So the default is restored only here, at the very end,
    once the streams are flushed into /dev/null and nothing else is left to do."""
    import contextlib
    import signal

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        signal.raise_signal(signal.SIGPIPE)


def main() -> NoReturn:
    """Console entry point."""
    tolerant_streams()
    if "_JOBCTL_COMPLETE" in os.environ:  # a Tab press
        from jobctl.cli.completion import complete_after_bashs_colon

        complete_after_bashs_colon(os.environ)
    code = run(sys.argv[1:])
    # The process ends here: output is flushed and the journal closed, so the collector's
    # passes over every live object during interpreter shutdown buy nothing (~6 ms).
    gc.freeze()
    if code == ExitCode.BROKEN_PIPE:
        end_by_sigpipe()
    sys.exit(code)  # where there is no SIGPIPE (Windows): 141 all the same
