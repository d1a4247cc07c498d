"""jobctl: check and watch long-running jobs on hosted AI APIs from one CLI."""

from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # ``jobctl.Provider`` for plugin authors, imported only when asked for: the CLI
    # imports this package on every run and must not pay for the provider modules.
    if name == "Provider":
        from jobctl.providers.base import Provider

        return Provider
    raise AttributeError(f"module 'jobctl' has no attribute {name!r}")
