"""Turn command-line arguments and stdin lines into validated job refs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from jobctl._wording import LIBRARY, Wording
from jobctl.errors import UsageError
from jobctl.providers.registry import Registry, unknown_provider


class Ref(NamedTuple):
    """A validated job reference: the provider's name and the job's id; ``str(ref)`` is
    ``provider:id``."""

    provider: str
    id: str

    def __str__(self) -> str:
        return f"{self.provider}:{self.id}"


def provider_named(text: str, known: Registry) -> str | None:
    """The provider called ``text`` in any letter case (``KREA`` is krea), or None."""
    name = text.lower()
    return name if name in known else None


def parse_ref(
    text: str, default_provider: str | None = None, registry: Registry | None = None, words: Wording = LIBRARY
) -> tuple[str, str]:
    """``provider:id`` (or a bare id when a provider was given) -> (provider, raw id)."""
    known = registry or Registry()
    head, sep, tail = text.partition(":")
    name = provider_named(head, known) if sep else None
    if sep and (name or default_provider is None):
        if not head:
            raise UsageError(f"'{text}' has no provider before ':'; write PROVIDER:ID, e.g. krea:{tail}")
        if not name:
            raise unknown_provider(head, known.names())
        if not tail:
            raise UsageError(f"'{text}' has no job id after ':'; write {name}:ID")
        return name, tail
    if default_provider is not None:
        return default_provider, text
    if provider_named(text, known):
        raise UsageError(f"no job id given for {text}; write: {words.get_job.format(provider=text.lower())}")
    raise UsageError(f"'{text}' is not a job ref; write PROVIDER:ID (e.g. krea:{text}) or {words.id_apart}")


def to_ref(
    value: object, job_id: object = None, registry: Registry | None = None, words: Wording = LIBRARY
) -> Ref:
    """A validated Ref from ``"provider:id"``, ``("provider", id)`` or ``("provider", job_id)``;
    an id may be an int (AISquare's are). Anything else is a UsageError naming the argument."""
    known = registry or Registry()
    if job_id is not None:
        if not isinstance(value, str):
            raise UsageError(f"ref must be a provider's name when job_id is given, not {_shown(value)}")
        provider, raw_id = value, _id_text(job_id)
    elif isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        provider, raw_id = value[0], _id_text(value[1])
    elif isinstance(value, str):
        provider, raw_id = parse_ref(value.strip(), registry=known, words=words)
    else:
        raise UsageError(f"ref must be 'provider:id', ('provider', 'id') or a Ref, not {_shown(value)}")
    name = provider_named(provider, known)
    if name is None:
        raise unknown_provider(provider, known.names())
    return Ref(name, known.get(name).validate_id(raw_id))


def _id_text(job_id: object) -> str:
    """A job id as text: a string as it is, an int in decimal (never a bool or a float)."""
    if isinstance(job_id, str):
        return job_id
    if isinstance(job_id, int) and not isinstance(job_id, bool):
        return str(job_id)
    raise UsageError(f"job_id must be a string or an int, not {_shown(job_id)}")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _unquoted(text: str) -> str:
    """``"krea:id"`` as ``jq`` prints a string without ``-r`` -> ``krea:id``."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        return text
    import json

    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value.strip() if isinstance(value, str) else text


def stdin_refs(lines: Iterable[str], registry: Registry | None = None) -> list[str]:
    """Refs from piped text: one per line; blank lines and '#' comments skipped."""
    known = registry or Registry()
    out = []
    for line in lines:
        text = _unquoted(line.strip().strip("\ufeff"))
        if not text or text.startswith("#"):
            continue
        # "krea 1234" is as good as "krea:1234" (e.g. from `jq -r '"\\(.provider) \\(.id)"'`)
        parts = text.split()
        if len(parts) == 2 and provider_named(parts[0], known):
            text = f"{parts[0]}:{parts[1]}"
        out.append(text)
    return out


class RefList(list[Ref]):
    """Unique refs in input order; ``given`` counts the refs as written, repeats and bad ones too.

    The JSON shape follows ``given``: ``get krea:a krea:a --json`` asked for two, so it
    prints an array, with the job once.
    """

    def __init__(self, refs: Iterable[Ref] = (), given: int = 0) -> None:
        super().__init__(refs)
        self.given = given


def parse_refs(
    args: list[str],
    read_stdin: Iterable[str] | None = None,
    registry: Registry | None = None,
    words: Wording = LIBRARY,
) -> tuple[RefList, list[UsageError]]:
    """Validate every ref up front, so nothing is sent for a bad one.

    Returns the good refs in input order without duplicates, and one error per bad
    one (the caller reports those and still fetches the rest).
    """
    known = registry or Registry()
    default_provider = None
    if args and ":" not in args[0] and len(args) > 1:
        default_provider = provider_named(args[0], known)
        if default_provider:
            args = args[1:]
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
            provider, raw_id = parse_ref(text, default_provider, known, words)
            refs[Ref(provider, known.get(provider).validate_id(raw_id))] = None
        except UsageError as exc:
            errors.append(exc)
    return RefList(refs, given=len(texts)), errors
