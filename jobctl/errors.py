"""Exit codes and the exception tree every command raises instead of exiting.

    JobctlError                 base; carries ``exit_code`` and a one-line message
    ├── UsageError              2  bad option, ref or id: nothing was sent
    │   └── ConfigError         2  config file, profile or credential problem
    ├── JobFailed               1  a job failed or was cancelled (watch, get --exit-status)
    ├── AuthError               3  the provider refused the credentials (401/403)
    ├── NotFound                4  the provider does not know the job (404)
    ├── UpstreamError           5  network failure, retries exhausted, or an undocumented body
    │   ├── RequestRejected     5  the provider answered 4xx (not 401/403/404/408/429):
    │   │                          asking again will not help, so watch stops polling it
    │   └── RateLimited         5  the provider asked to wait (429, Retry-After,
    │                              X-RateLimit-Remaining: 0); ``retry_after`` says how long,
    │                              and watch pauses that provider instead of ending
    └── WatchTimeout          124  watch --timeout ran out

The CLI boundary (``cli.main``) turns any of these into ``error: <message>`` on
stderr and the exit code; nothing else calls ``sys.exit``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    JOB_FAILED = 1
    USAGE = 2
    AUTH = 3
    NOT_FOUND = 4
    UPSTREAM = 5
    TIMEOUT = 124
    INTERRUPTED = 130


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
]


def most_severe(codes: list[ExitCode] | list[int]) -> ExitCode:
    """The exit code to report when several things went wrong at once."""
    known = [ExitCode(c) for c in codes]
    return max(known, key=_SEVERITY.index, default=ExitCode.OK)


class JobctlError(Exception):
    exit_code: ExitCode = ExitCode.UPSTREAM

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(JobctlError):
    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    pass


class JobFailed(JobctlError):
    exit_code = ExitCode.JOB_FAILED


class AuthError(JobctlError):
    exit_code = ExitCode.AUTH


class NotFound(JobctlError):
    exit_code = ExitCode.NOT_FOUND


class UpstreamError(JobctlError):
    exit_code = ExitCode.UPSTREAM


class RequestRejected(UpstreamError):
    pass


class RateLimited(UpstreamError):
    """``retry_after``: seconds the provider asked for, or None when it did not say."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WatchTimeout(JobctlError):
    exit_code = ExitCode.TIMEOUT
