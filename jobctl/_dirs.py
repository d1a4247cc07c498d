"""The per-user directories jobctl reads and writes, from an environment mapping (never
the process's own): the config dir (as Typer/Click's ``get_app_dir`` names it) and the
data dir that holds the job journal."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

APP = "jobctl"


def home(env: Mapping[str, str]) -> Path:
    """``$HOME`` (``%USERPROFILE%`` on Windows), else what the system says."""
    value = env.get("HOME") or (env.get("USERPROFILE") if sys.platform == "win32" else None)
    return Path(value) if value else Path.home()


def expand_user(path: str | os.PathLike[str], env: Mapping[str, str]) -> Path:
    """``~/x`` -> ``$HOME/x``; any other path as it is."""
    text = os.fspath(path)
    if text == "~" or text.startswith(("~/", "~\\")):
        return home(env) / text[2:]
    return Path(text)


def config_dir(env: Mapping[str, str]) -> Path:
    """``$XDG_CONFIG_HOME/jobctl`` (``~/.config/jobctl``), ``~/Library/Application
    Support/jobctl`` on macOS, ``%APPDATA%\\jobctl`` on Windows."""
    if sys.platform == "win32":
        return Path(env.get("APPDATA") or home(env)) / APP
    if sys.platform == "darwin":
        return home(env) / "Library" / "Application Support" / APP
    return Path(env.get("XDG_CONFIG_HOME") or home(env) / ".config") / APP


def data_dir(env: Mapping[str, str]) -> Path:
    """``$XDG_DATA_HOME/jobctl`` (``~/.local/share/jobctl``), ``~/Library/Application
    Support/jobctl`` on macOS, ``%LOCALAPPDATA%\\jobctl`` on Windows."""
    if sys.platform == "win32":
        return Path(env.get("LOCALAPPDATA") or home(env) / "AppData" / "Local") / APP
    if sys.platform == "darwin":
        return home(env) / "Library" / "Application Support" / APP
    return Path(env.get("XDG_DATA_HOME") or home(env) / ".local" / "share") / APP
