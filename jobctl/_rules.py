"""The rules a value from the config file or a provider must pass before jobctl uses
it: URLs it may send to, HTTP tokens (header names, auth schemes), string settings."""

from __future__ import annotations

import re
from typing import Any, TypeGuard
from urllib.parse import urlsplit

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP token (RFC 9110)


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        import ipaddress  # only for http:// base URLs

        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_url(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a string that starts as an http(s) URL does."""
    return isinstance(value, str) and value[:8].lower().startswith(("http://", "https://"))


def url_problem(url: str) -> str | None:
    """What keeps jobctl from sending to ``url``: ``"invalid"``, ``"scheme"`` (not an
    http(s) URL with a host), ``"http"`` (http:// to a host that is not loopback), or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "invalid"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "scheme"
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return "http"
    return None


def check_base_url(url: str) -> str | None:
    """Why ``url`` cannot be a base URL, or None when it can."""
    problem = url_problem(url)
    if problem:
        return {
            "invalid": "is not a valid URL",
            "scheme": "must look like https://host[:port][/prefix]",
            "http": "uses http:// for a host that is not loopback; use https://",
        }[problem]
    parts = urlsplit(url)
    if parts.query or parts.fragment or parts.username or parts.password:
        return "must not carry a query, fragment or user:password"
    return None


def is_token(value: object) -> TypeGuard[str]:
    """One word that can open an Authorization header (``Bearer``, ``Token``) or name a
    header (``X-API-Key``): no header injection."""
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


def type_name(value: Any) -> str:
    """What a YAML value is, in a user's words."""
    names = {bool: "boolean", int: "number", float: "number", str: "string", list: "list", dict: "mapping"}
    return names.get(type(value), type(value).__name__)


def string_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a string setting (a credential, a URL), or None."""
    if isinstance(value, str):
        return None
    hint = " (quote it)" if type_name(value) == "number" else ""
    return f"must be a string, not a {type_name(value)}{hint}"
