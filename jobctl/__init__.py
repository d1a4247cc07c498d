"""jobctl: check and watch long-running jobs on hosted AI APIs from one CLI."""

__version__ = "0.1.0"
