"""Exit codes and the exception tree every command raises instead of exiting.

    JobctlError                 base; carries ``exit_code`` and a one-line message
    ├── UsageError              2  bad option, ref or id: nothing was sent
    │   └── ConfigError         2  config file, profile or credential problem
    ├── JobFailed               1  download: the job has not succeeded, so it has no files
    ├── AuthError               3  the provider refused the credentials (401/403)
    ├── NotFoundError           4  the provider does not know the job (404)
    ├── ProviderError           5  network failure, retries exhausted, or an undocumented body
    │   ├── RequestRejected     5  the provider answered 4xx (not 401/403/404/408/429):
    │   │                          asking again will not help, so watch stops polling it
    │   ├── PayloadError        5  reading the answer failed inside jobctl; final too
    │   ├── BrokenWatch         5  a poll failed in a way nobody foresaw; final for that job
    │   ├── DownloadError       5  a file could not be downloaded; its ``.part`` stays
    │   └── RateLimited         5  the provider asked to wait (429, Retry-After,
    │                              X-RateLimit-Remaining: 0); ``retry_after`` says how long,
    │                              and watch pauses that provider instead of ending
    └── WaitTimeout           124  watch/wait ran out of time (also a ``TimeoutError``)

A failed job is a ``Job`` whose status says so, never an exception. The library
raises these; the CLI boundary (``jobctl.cli.app.run``) turns each into
``error: <message>`` on stderr and its exit code; nothing else calls ``sys.exit``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The CLI's exit codes; every ``JobctlError`` carries the one it ends with."""

    OK = 0
    JOB_FAILED = 1
    USAGE = 2
    AUTH = 3
    NOT_FOUND = 4
    UPSTREAM = 5
    TIMEOUT = 124
    INTERRUPTED = 130
    BROKEN_PIPE = 141  # stdout's reader went away: the process ends killed by SIGPIPE (128 + 13)


# Which code wins when several refs fail differently: the most severe one.
_SEVERITY = [
    ExitCode.OK,
    ExitCode.JOB_FAILED,
    ExitCode.TIMEOUT,
    ExitCode.NOT_FOUND,
    ExitCode.UPSTREAM,
    ExitCode.AUTH,
    ExitCode.USAGE,
    ExitCode.INTERRUPTED,
    ExitCode.BROKEN_PIPE,
]


def most_severe(codes: list[ExitCode] | list[int]) -> ExitCode:
    """The exit code to report when several things went wrong at once."""
    known = [ExitCode(c) for c in codes]
    return max(known, key=_SEVERITY.index, default=ExitCode.OK)


class JobctlError(Exception):
    """Every error jobctl raises: ``message`` is one line for people, ``exit_code`` the
    CLI's for it, and ``ref`` the ``(provider, id)`` it is about, when it is about one job."""

    exit_code: ExitCode = ExitCode.UPSTREAM
    # The (provider, id) the error is about, when it is about one job.
    ref: tuple[str, str] | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(JobctlError):
    """A bad argument, option, ref or id: nothing was sent (exit 2)."""

    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """The config file, the profile or a credential is unusable (exit 2)."""


class JobFailed(JobctlError):
    """A job that did not succeed where success was needed (download): exit 1."""

    exit_code = ExitCode.JOB_FAILED


class AuthError(JobctlError):
    """The provider refused the credentials, HTTP 401 or 403 (exit 3)."""

    exit_code = ExitCode.AUTH


class NotFoundError(JobctlError):
    """The provider does not know the job, HTTP 404 (exit 4)."""

    exit_code = ExitCode.NOT_FOUND


class ProviderError(JobctlError):
    """The provider or the network failed after retries, or sent an undocumented body (exit 5)."""

    exit_code = ExitCode.UPSTREAM


class RequestRejected(ProviderError):
    """The provider answered 4xx (not 401/403/404/408/429): asking again will not help."""


class PayloadError(ProviderError):
    """Reading the answer failed inside jobctl (a shape nobody foresaw): asking again
    gets the same answer, so watch stops polling that job."""


class RateLimited(ProviderError):
    """``retry_after``: seconds the provider asked for, or None when it did not say."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BrokenWatch(ProviderError):
    """A fetch that failed in a way nobody foresaw: final for that job, exit 5."""

    @classmethod
    def of(cls, ref: tuple[str, str], exc: Exception) -> BrokenWatch:
        """The error for ``ref`` whose fetch raised ``exc`` (a bug, ours or a plugin's)."""
        error = cls(f"{ref[0]}:{ref[1]}: internal error: {type(exc).__name__}: {exc}")
        error.ref = (ref[0], ref[1])
        return error


class DownloadError(ProviderError):
    """A file could not be downloaded (exit 5); its ``.part``, if any, stays."""


class WaitTimeout(JobctlError, TimeoutError):
    """``watch``/``wait`` ran out of time (exit 124); ``failures`` holds the errors that
    had already ended some jobs' watch (404, refused...)."""

    exit_code = ExitCode.TIMEOUT

    def __init__(self, message: str, failures: list[JobctlError] | None = None) -> None:
        super().__init__(message)
        # The errors that had already ended some jobs' watch (404, refused...).
        self.failures = failures or []
