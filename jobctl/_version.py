"""The version, in one place (the package, the User-Agent and pyproject.toml read it)."""

__version__ = "0.3.0"
