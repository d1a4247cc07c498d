"""Property tests for the things with too many inputs to list: payloads, status words,
job ids, timestamps and redaction."""

from __future__ import annotations

import json
import re
import string
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from contract import ALL_STATUS_CASES, COMMON_WORDS, DONE, PROVIDER_NAMES, STATUS_WORDS
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from jobctl._redaction import MASK, Redactor, redact
from jobctl._units import parse_duration
from jobctl.errors import ProviderError, UsageError
from jobctl.model import Status, format_timestamp, job_to_dict, parse_timestamp
from jobctl.providers import PROVIDERS
from jobctl.testing import ID_CHARS, ID_TEXTS, assert_id_never_escapes

# --- strategies ---------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)

# Strings a careless reader trips over: half JSON, edge dates, huge durations, escapes.
tricky_strings = st.sampled_from(
    [
        "",
        " ",
        "[",
        "[1,",
        "[]",
        "{}",
        '{"a": [1, {"b": null}]}',
        '["https://a/1.png", 2, null]',
        "null",
        "https://example.com/out.png",
        "2024-05-01T10:00:00Z",
        "2024-05-01T10:00:00+25:00",
        "0001-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59-23:59",
        "9999-12-31T23:59:59Z",
        "P1000000000D",
        "PT99999999999999999999H",
        "99999999999:00:00",
        "PT1M30S",
        "NaN",
        "\x1b[31mred\x1b[0m",
        "[red]markup[/red]",
        "\u202eevil",
    ]
)

# Every key the five specs name, so values land where the normalizers look.
SPEC_KEYS = [
    "id",
    "job_id",
    "status",
    "created_at",
    "updated_at",
    "completed_at",
    "createdAt",
    "result",
    "urls",
    "style_id",
    "error",
    "code",
    "message",
    "type",
    "gen_type",
    "failed_reason",
    "output",
    "output_node_files",
    "file_id",
    "node_id",
    "job_type",
    "workflow_name",
    "runtime",
    "mode",
    "error_message",
    "events",
    "content",
]


def spec_shaped(values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(SPEC_KEYS), values, max_size=10)


spec_values = st.recursive(
    json_scalars | tricky_strings,
    lambda inner: st.lists(inner, max_size=4) | spec_shaped(inner),
    max_leaves=25,
)
DOCUMENTED_WORDS = [w for words in STATUS_WORDS.values() for w in words]
any_status_word = st.sampled_from(DOCUMENTED_WORDS) | st.text(max_size=20)
# Mostly with a status word (any word: the rest of the payload is what is being read),
# sometimes with whatever the generator put there or nothing.
spec_payloads = st.one_of(
    st.builds(lambda body, word: {**body, "status": word}, spec_shaped(spec_values), any_status_word),
    spec_shaped(spec_values),
)

STATUS_VALUES = {s.value for s in Status}


def assert_well_formed(provider: str, job_id: str, payload: dict[str, Any]) -> None:
    """A job when the status is a word (any word); a clean ProviderError otherwise."""
    if not isinstance(payload.get("status"), str):
        with pytest.raises(ProviderError, match=f"^{provider}:{job_id}: the answer.*'status'"):
            PROVIDERS[provider].normalize(job_id, payload)
        return
    job = PROVIDERS[provider].normalize(job_id, payload)
    data = job_to_dict(job, raw=True)
    json.dumps(data)  # always serializable
    assert data["provider"] == provider
    assert data["id"] == job_id
    assert data["status"] in STATUS_VALUES
    assert data["done"] == (data["status"] in DONE)
    assert isinstance(data["provider_status"], str)
    assert all(isinstance(o, str) and o for o in data["outputs"])
    for key in ("created_at", "updated_at", "finished_at"):
        assert data[key] is None or data[key].endswith("Z")
    assert data["kind"] is None or isinstance(data["kind"], str)
    assert data["error"] is None or set(data["error"]) == {"code", "message"}
    assert isinstance(data["results"], dict)


# --- normalize raises nothing but a clean ProviderError -------------------------------------


# One test draws the provider too: each example is costly to generate, and spreading
# them over the five providers finds as much as five times as many would.
providers = st.sampled_from(PROVIDER_NAMES)


# Any JSON object at all, per provider: jobctl.testing.ProviderContract, run on every
# built-in in test_contract_kit.py.


EDGE_PAYLOADS = [
    {"status": "COMPLETED", "created_at": "9999-12-31T23:00:00Z", "runtime": "PT2H"},
    {"status": "COMPLETED", "created_at": "2024-05-01T10:00:00Z", "runtime": "P1000000000D"},
    {"status": "COMPLETED", "created_at": "2024-05-01T10:00:00Z", "runtime": "99999999999:00:00"},
    {"result": {"style_id": None}, "error": {"code": True, "message": 3}},
    {"events": [{"content": "x", "created_at": "2024-05-01T10:00:00+23:59"}, {"content": 1}]},
    {"status": "done", "output": "['a', 'b'"},
    {"status": "COMPLETED", "result": [[[["https://a"]]], {"x": [{}]}]},
]


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
@pytest.mark.parametrize("payload", EDGE_PAYLOADS)
def test_normalize_reads_edge_payloads_without_raising(provider: str, payload: dict[str, Any]) -> None:
    assert_well_formed(provider, "1", payload)


@settings(max_examples=250, suppress_health_check=[HealthCheck.too_slow])
@given(provider=providers, payload=spec_payloads)
def test_normalize_reads_spec_shaped_payloads_with_any_values_without_raising(
    provider: str, payload: dict[str, Any]
) -> None:
    assert_well_formed(provider, "1", payload)


# --- status words ----------------------------------------------------------------------------


@given(case=st.sampled_from(ALL_STATUS_CASES), flips=st.lists(st.booleans(), min_size=30, max_size=30))
def test_every_documented_status_word_maps_the_same_in_any_letter_case(
    case: tuple[str, str, str], flips: list[bool]
) -> None:
    provider, word, expected = case
    spelled = "".join(c.upper() if flip else c.lower() for c, flip in zip(word, flips, strict=False))
    status, shown = PROVIDERS[provider].status_of(spelled)
    assert (status.value, shown) == (expected, spelled)


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
@given(word=st.one_of(st.text(max_size=30), st.sampled_from(sorted(COMMON_WORDS))))
def test_any_other_word_is_read_by_meaning_or_unknown_and_kept_verbatim(provider: str, word: str) -> None:
    known = {w.lower() for w in STATUS_WORDS[provider]}
    status, shown = PROVIDERS[provider].status_of(word)
    assert shown == word
    key = word.strip().lower()
    if key not in known:
        assert status.value == COMMON_WORDS.get(key, "unknown")
        assert status.done == (key in COMMON_WORDS)


# --- job ids -----------------------------------------------------------------------------------

id_chars, id_texts = ID_CHARS, ID_TEXTS  # the contract kit's, with more examples here


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
@settings(max_examples=300)
@given(raw=id_texts)
def test_no_text_reaches_the_url_path_unescaped(provider: str, raw: str) -> None:
    assert_id_never_escapes(PROVIDERS[provider], raw)


@pytest.mark.parametrize("provider", ["creatify", "unstructured"])
@given(value=st.uuids(), upper=st.booleans())
def test_uuid_providers_accept_every_uuid(provider: str, value: Any, upper: bool) -> None:
    text = str(value).upper() if upper else str(value)
    assert PROVIDERS[provider].validate_id(text) == text


@pytest.mark.parametrize("provider", ["creatify", "unstructured"])
@given(value=st.uuids(), before=st.text(id_chars, max_size=3), after=st.text(id_chars, max_size=3))
@example(value="3c90c3cc-0d44-4b50-8888-8dd25736052a", before="", after="\n")
def test_uuid_providers_reject_a_uuid_with_anything_around_it(
    provider: str, value: Any, before: str, after: str
) -> None:
    if not before and not after:
        after = "0"
    with pytest.raises(UsageError):
        PROVIDERS[provider].validate_id(f"{before}{value}{after}")


UUID_SHAPE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@pytest.mark.parametrize("provider", ["creatify", "unstructured"])
@given(raw=id_texts | st.text("0123456789abcdefABCDEF-", min_size=30, max_size=40))
def test_uuid_providers_accept_nothing_but_a_uuid(provider: str, raw: str) -> None:
    try:
        PROVIDERS[provider].validate_id(raw)
    except UsageError:
        assert not UUID_SHAPE.fullmatch(raw)
    else:
        assert UUID_SHAPE.fullmatch(raw)


@given(number=st.integers(min_value=1, max_value=10**18), zeros=st.integers(min_value=0, max_value=3))
def test_aisquare_ids_canonicalise_leading_zeros_away(number: int, zeros: int) -> None:
    assert PROVIDERS["aisquare"].validate_id("0" * zeros + str(number)) == str(number)


@pytest.mark.parametrize("raw", ["0", "00", "-1", "1.5", "+1", "1e3", " 1", "0x1f", "١٢", "", "12a"])
def test_aisquare_rejects_anything_but_a_positive_integer(raw: str) -> None:
    with pytest.raises(UsageError, match=r"expected a positive integer like 42"):
        PROVIDERS["aisquare"].validate_id(raw)


@given(raw=id_texts | st.text("0123456789-+. ", max_size=8))
def test_aisquare_accepts_only_positive_decimal_integers(raw: str) -> None:
    try:
        job_id = PROVIDERS["aisquare"].validate_id(raw)
    except UsageError:
        return
    assert re.fullmatch(r"[1-9][0-9]*", job_id)
    assert int(raw) == int(job_id)


# --- timestamps ----------------------------------------------------------------------------------

offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
aware_datetimes = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(timezone.utc) | offsets
)


def to_millis(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


@given(value=aware_datetimes)
def test_formatted_timestamps_end_in_z_and_parse_back_to_the_same_instant(value: datetime) -> None:
    text = format_timestamp(value)
    assert text is not None and text.endswith("Z")
    parsed = parse_timestamp(text)
    assert parsed == to_millis(value)
    assert parsed is not None and parsed.utcoffset() == timedelta(0)
    assert format_timestamp(parsed) == text


@given(values=st.lists(aware_datetimes, min_size=2, max_size=5))
def test_formatted_timestamps_have_three_fractional_digits_so_text_order_is_time_order(
    values: list[datetime],
) -> None:
    texts = [format_timestamp(v) for v in values]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", t or "") for t in texts)
    assert sorted(texts) == [format_timestamp(v) for v in sorted(values, key=to_millis)]


@given(value=aware_datetimes)
def test_iso_8601_with_any_offset_parses_to_the_same_instant_in_utc(value: datetime) -> None:
    parsed = parse_timestamp(value.isoformat())
    assert parsed == value
    assert parsed is not None and parsed.tzinfo == timezone.utc


@given(value=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)))
def test_a_timestamp_without_an_offset_is_read_as_utc(value: datetime) -> None:
    assert parse_timestamp(value.isoformat()) == value.replace(tzinfo=timezone.utc)


@given(text=st.text(max_size=40) | tricky_strings)
@example(text="0001-01-01T00:00:00+01:00")
@example(text="9999-12-31T23:59:59-01:00")
@example(text="2024-02-30T10:00:00Z")
@example(text="2024-05-01T24:00:00Z")
def test_parsing_any_text_returns_a_utc_instant_or_none(text: str) -> None:
    parsed = parse_timestamp(text)
    if parsed is not None:
        assert parsed.utcoffset() == timedelta(0)
        formatted = format_timestamp(parsed)
        assert formatted is not None and formatted.endswith("Z")


# --- redaction -------------------------------------------------------------------------------------

secrets_ = st.lists(st.text(min_size=4, max_size=12), min_size=1, max_size=4)


@given(secrets=secrets_, pieces=st.lists(st.text(max_size=10), min_size=1, max_size=6), data=st.data())
def test_redact_leaves_no_secret_in_any_text_containing_them(
    secrets: list[str], pieces: list[str], data: st.DataObject
) -> None:
    text = ""
    for piece in pieces:
        text += piece + data.draw(st.sampled_from(secrets))
    redacted = redact(text, secrets)
    for secret in secrets:
        assert secret not in redacted


# Secrets that read the same in every escaped and encoded form, so "occurs" is plain.
plain_secrets = st.lists(
    st.text(alphabet=string.ascii_letters + string.digits + "-_.", min_size=4, max_size=12),
    min_size=1,
    max_size=4,
)


@given(secrets=plain_secrets, text=st.text(max_size=40))
def test_redact_changes_nothing_when_no_secret_occurs(secrets: list[str], text: str) -> None:
    if not any(s in text for s in secrets):
        assert redact(text, secrets) == text


@given(secret=st.text(min_size=4, max_size=12), before=st.text(max_size=8), after=st.text(max_size=8))
@example(secret="abab", before="ab", after="ab")
@example(secret="a***", before="a", after="")
def test_the_run_wide_redactor_masks_every_secret_it_was_given(secret: str, before: str, after: str) -> None:
    redactor = Redactor()
    redactor.add(secret)
    redacted = redactor(before + secret + after)
    assert secret not in redacted
    assert MASK in redacted


@given(short=st.text(max_size=3), text=st.text(max_size=20))
def test_values_shorter_than_four_characters_are_not_scrubbed_from_text(short: str, text: str) -> None:
    redactor = Redactor()
    redactor.add(short)
    assert redactor(text) == text


# Secrets as they arrive from a CRLF .env file or a careless paste: quotes, backslashes,
# line breaks, percent signs, an invisible space and text beyond ASCII.
awkward_secrets = st.text(
    alphabet=st.sampled_from(
        [*"abcXYZ019-_", "\r", "\n", "\t", "'", '"', "\\", "%", " ", "+", "\u200b", "é", "ж"]
    ),
    min_size=4,
    max_size=14,
)
surrounding = st.text(alphabet=string.printable + "é\u200b", max_size=10)


def in_repr(value: str, prefix: str = "") -> tuple[str, str]:
    """(the repr of a header dict holding ``prefix + value``, how ``value`` reads inside it)."""
    inner = repr(prefix + value)
    return repr({"Authorization": prefix + value}), inner[1 + len(prefix) : -1]


def lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), text)


ENCODED_FORMS = {
    "repr": lambda s: (repr(s), repr(s)[1:-1]),
    "repr of a header dict": lambda s: in_repr(s, "Bearer "),
    "repr of a repr": lambda s: (repr(repr(s)), repr(repr(s))[1:-1]),
    "json": lambda s: (json.dumps(s), json.dumps(s)[1:-1]),
    "json, unicode kept": lambda s: (
        json.dumps({"key": s}, ensure_ascii=False),
        json.dumps(s, ensure_ascii=False)[1:-1],
    ),
    "json of a repr": lambda s: (json.dumps(repr(s)), json.dumps(repr(s))[1:-1]),
    "percent-encoded": lambda s: ("?k=" + quote(s, safe=""), quote(s, safe="")),
    "percent-encoded, lower-case hex": lambda s: (lower_hex(quote(s, safe="")), lower_hex(quote(s, safe=""))),
    "form-encoded": lambda s: ("a=1&k=" + quote_plus(s), quote_plus(s)),
}


@pytest.mark.parametrize("form", list(ENCODED_FORMS))
@given(secret=awkward_secrets, before=surrounding, after=surrounding)
@example(secret="abc\r", before="token=", after="")
@example(secret="sk-'x\"\\", before="", after="")
@example(secret="ab\u200bcd", before="", after="")
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_redact_masks_a_secret_inside_a_repr_an_escaped_string_or_a_url(
    form: str, secret: str, before: str, after: str
) -> None:
    text, escaped = ENCODED_FORMS[form](secret)
    assert escaped in text
    redacted = redact(before + text + after, {secret})
    assert escaped not in redacted
    assert MASK in redacted


def test_a_key_with_a_line_break_is_masked_in_its_repr_and_without_the_break() -> None:
    redactor = Redactor()
    redactor.add("sk-live-abc\r\n")
    assert redactor("InvalidHeader: 'Bearer sk-live-abc\\r\\n'") == "InvalidHeader: 'Bearer ***'"
    assert redactor('{"Authorization": "Bearer sk-live-abc\\r\\n"}') == '{"Authorization": "Bearer ***"}'
    assert redactor("Bearer sk-live-abc") == "Bearer ***"
    assert redactor("GET /jobs?key=sk-live-abc%0D%0A") == "GET /jobs?key=***"


# --- durations (watch --timeout) ----------------------------------------------------------------

UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


@given(
    amounts=st.fixed_dictionaries({}, optional={u: st.integers(0, 10_000) for u in UNIT_SECONDS}),
    upper=st.booleans(),
    spaced=st.booleans(),
)
@example(amounts={"h": 1, "m": 30}, upper=False, spaced=False)
@example(amounts={"m": 2, "s": 30}, upper=False, spaced=False)
@example(amounts={"d": 1}, upper=False, spaced=False)
def test_a_compound_duration_is_the_sum_of_its_parts(
    amounts: dict[str, int], upper: bool, spaced: bool
) -> None:
    parts = [f"{amounts[u]}{u.upper() if upper else u}" for u in UNIT_SECONDS if u in amounts]
    total = sum(amounts[u] * UNIT_SECONDS[u] for u in amounts)
    text = (" " if spaced else "").join(parts)
    if total > 0:
        assert parse_duration(text) == total
    else:
        with pytest.raises(ValueError):
            parse_duration(text)


@given(value=st.floats(min_value=0.001, max_value=1e6), unit=st.sampled_from(["", *UNIT_SECONDS]))
def test_a_single_number_with_or_without_a_unit_scales_by_the_unit(value: float, unit: str) -> None:
    assert parse_duration(f"{value}{unit}") == pytest.approx(value * UNIT_SECONDS.get(unit, 1))


@given(first=st.sampled_from(list(UNIT_SECONDS)), second=st.sampled_from(list(UNIT_SECONDS)))
def test_a_compound_duration_names_each_unit_once_largest_first(first: str, second: str) -> None:
    text = f"1{first}2{second}"
    if UNIT_SECONDS[first] > UNIT_SECONDS[second]:
        assert parse_duration(text) == UNIT_SECONDS[first] + 2 * UNIT_SECONDS[second]
    else:
        with pytest.raises(ValueError, match="is not a duration"):
            parse_duration(text)
