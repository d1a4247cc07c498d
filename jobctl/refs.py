"""Turn command-line arguments and stdin lines into validated job refs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from jobctl.errors import UsageError
from jobctl.providers.registry import Registry, unknown_provider


class Ref(NamedTuple):
    provider: str
    id: str

    def __str__(self) -> str:
        return f"{self.provider}:{self.id}"


def parse_ref(
    text: str, default_provider: str | None = None, registry: Registry | None = None
) -> tuple[str, str]:
    """``provider:id`` (or a bare id when a provider was given) -> (provider, raw id)."""
    known = registry or Registry()
    head, sep, tail = text.partition(":")
    if sep and (default_provider is None or head in known):
        if not head:
            raise UsageError(f"'{text}' has no provider before ':'; write PROVIDER:ID, e.g. krea:{tail}")
        if head not in known:
            raise unknown_provider(head, known.names())
        if not tail:
            raise UsageError(f"'{text}' has no job id after ':'; write {head}:ID")
        return head, tail
    if default_provider is not None:
        return default_provider, text
    if text in known:
        raise UsageError(f"no job id given for {text}; write: jobctl get {text} ID")
    raise UsageError(f"'{text}' is not a job ref; write PROVIDER:ID (e.g. krea:{text}) or PROVIDER ID...")


def stdin_refs(lines: Iterable[str], registry: Registry | None = None) -> list[str]:
    """Refs from piped text: one per line; blank lines and '#' comments skipped."""
    known = registry or Registry()
    out = []
    for line in lines:
        text = line.strip().strip("\ufeff")
        if not text or text.startswith("#"):
            continue
        # "krea 1234" is as good as "krea:1234" (e.g. from `jq -r '"\\(.provider) \\(.id)"'`)
        parts = text.split()
        if len(parts) == 2 and parts[0] in known:
            text = f"{parts[0]}:{parts[1]}"
        out.append(text)
    return out


def parse_refs(
    args: list[str], read_stdin: Iterable[str] | None = None, registry: Registry | None = None
) -> tuple[list[Ref], list[UsageError]]:
    """Validate every ref up front, so nothing is sent for a bad one.

    Returns the good refs in input order without duplicates, and one error per bad
    one (the caller reports those and still fetches the rest).
    """
    known = registry or Registry()
    default_provider = None
    if args and ":" not in args[0] and len(args) > 1 and args[0] in known:
        default_provider, args = args[0], args[1:]
    texts: list[str] = []
    for arg in args:
        if arg == "-":
            texts.extend(stdin_refs(read_stdin or [], known))
        else:
            texts.append(arg.strip())
    refs: dict[Ref, None] = {}
    errors: list[UsageError] = []
    for text in texts:
        try:
            provider, raw_id = parse_ref(text, default_provider, known)
            refs[Ref(provider, known.get(provider).validate_id(raw_id))] = None
        except UsageError as exc:
            errors.append(exc)
    return list(refs), errors
