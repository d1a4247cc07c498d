"""The contract tests every built-in provider passes, for any provider (plugins too).

Subclass ``ProviderContract`` in a pytest module and fill in what the API's docs say::

    from jobctl.testing import ProviderContract
    from jobctl_acme import Acme

    class TestAcme(ProviderContract):
        provider = Acme()
        documented_statuses = {"waiting": "queued", "rendering": "running", "ready": "succeeded"}
        sample_id = "r_123"
        sample_answer = {"id": "r_123", "state": "ready", "files": ["https://cdn.acme.example/r_123.png"]}

pytest then runs every ``test_*`` method below: the status map against the documented
words, the id rule and ``normalize`` under hypothesis, and a real request against the
simulator proving the credentials never follow a redirect to another origin. A provider
that declares a ``list_endpoint`` also sets ``sample_list_answer`` (one list answer as
the docs show it): its jobs are read, any other JSON is a clean ProviderError, and the
list and cancel requests go with the credentials to the provider's origin, by the
declared method and path. Needs pytest and hypothesis (``pip install 'jobctl[test]'``).
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobctl.errors import ProviderError, UsageError
from jobctl.model import Status, job_to_dict
from jobctl.providers.base import COMMON_WORDS, Provider
from jobctl.providers.registry import provider_problems

__all__ = ["ProviderContract"]

_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["", "[", "[]", "{}", "null", "https://example.com/a.png", "2024-05-01T10:00:00Z"])
)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
ID_CHARS = st.characters(exclude_categories=()) | st.sampled_from(  # surrogates too: argv has them
    ["/", "?", "#", " ", ".", "%", "\\", "\n", "\t", "\x00", "\udcff", "\ud800", "a", "1", "-"]
)
ID_TEXTS = st.text(ID_CHARS, max_size=40) | st.sampled_from(
    ["", ".", "..", "../x", "a/b", "a b", "..%2f", "%2e%2e", "x?y#z", "~user", "a" * 513]
)
_URL_SAFE = set(string.ascii_letters + string.digits + "-._~%")
_STATUS_VALUES = {s.value for s in Status}
_DONE = {"succeeded", "failed", "cancelled"}
# The same checks run for every subclass, each its own provider: differing executors
# are the design here, and a failure saved for one provider only replays for another.
_EXAMPLES = settings(
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
    deadline=None,
)


def assert_id_never_escapes(p: Provider, raw: str) -> None:
    """``raw`` is refused as an id (exit 2), or it lands percent-encoded in one whole,
    non-empty path segment of ``p.path``: nothing reaches the URL path unescaped."""
    try:
        job_id = p.validate_id(raw)
    except UsageError as exc:
        assert exc.exit_code == 2
        assert exc.message.startswith(f"{p.name}: invalid job id ")
        return
    path = p.job_path(job_id)
    before, after = p.path.split("{id}")
    assert path.startswith(before) and path.endswith(after)
    segment = path[len(before) : len(path) - len(after)]
    assert set(segment) <= _URL_SAFE, segment
    assert unquote(segment) == job_id
    assert segment not in ("", ".", "..")
    assert ".." not in path.split("/")


def _set_at(body: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """``body`` with ``value`` at a dotted path, creating the objects on the way."""
    head, _, rest = path.partition(".")
    inner = body.get(head)
    body[head] = _set_at(dict(inner) if isinstance(inner, dict) else {}, rest, value) if rest else value
    return body


def _leaf_keys(value: object) -> set[str]:
    if isinstance(value, Mapping):
        return {str(k) for k in value} | {k for v in value.values() for k in _leaf_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _leaf_keys(v)}
    return set()


class ProviderContract:
    """What every provider promises; subclass as ``Test<Name>`` and set the four fields."""

    provider: ClassVar[Provider]
    # Every status word the API's docs list, and what it means: queued, running,
    # succeeded, failed or cancelled. Copied from the docs, not from the provider class.
    documented_statuses: ClassVar[Mapping[str, str]]
    sample_id: ClassVar[str]
    # One answer as the docs show it (any state): the shape the property tests vary.
    sample_answer: ClassVar[Mapping[str, Any]]
    # With a list_endpoint: one list answer as the docs show it, holding at least one job.
    sample_list_answer: ClassVar[Any] = None

    def credentials(self) -> dict[str, str]:
        return {field: f"contract-test-{field}-0123456789" for field in self.provider.credentials}

    # --- the declaration -----------------------------------------------------------

    def test_the_provider_declares_everything_it_needs(self) -> None:
        assert provider_problems(self.provider) == []

    def test_the_status_map_holds_exactly_the_documented_words(self) -> None:
        mapped = {word.lower(): Status(status).value for word, status in self.provider.statuses.items()}
        assert mapped == {word.lower(): meaning for word, meaning in self.documented_statuses.items()}

    # --- status words --------------------------------------------------------------

    @_EXAMPLES
    @given(data=st.data())
    def test_every_documented_status_word_maps_the_same_in_any_letter_case(self, data: st.DataObject) -> None:
        word, meaning = data.draw(st.sampled_from(sorted(self.documented_statuses.items())))
        flips = data.draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
        spelled = "".join(c.upper() if flip else c.lower() for c, flip in zip(word, flips, strict=True))
        status, shown = self.provider.status_of(spelled)
        assert (status.value, shown) == (meaning, spelled)
        assert status.done == (meaning in _DONE)

    @_EXAMPLES
    @given(word=st.text(max_size=30) | st.sampled_from(sorted(COMMON_WORDS)))
    def test_any_other_word_is_its_common_meaning_or_unknown_and_kept_verbatim(self, word: str) -> None:
        status, shown = self.provider.status_of(word)
        assert shown == word
        key = word.strip().lower()
        if key not in {w.lower() for w in self.documented_statuses}:
            assert status == COMMON_WORDS.get(key, Status.UNKNOWN)

    # --- job ids ---------------------------------------------------------------------

    def test_the_sample_id_passes_the_id_rule(self) -> None:
        assert self.provider.validate_id(self.sample_id)

    @_EXAMPLES
    @given(raw=ID_TEXTS)
    def test_no_id_text_reaches_the_url_path_unescaped(self, raw: str) -> None:
        assert_id_never_escapes(self.provider, raw)

    # --- reading answers -------------------------------------------------------------

    def _assert_well_formed(self, job_id: str, body: dict[str, Any]) -> None:
        """A job when the status field holds a word; a clean ProviderError otherwise."""
        from jobctl.providers.base import value_at

        p = self.provider
        if not isinstance(value_at(body, p.status_field), str):
            with pytest.raises(ProviderError):
                p.normalize(job_id, body)
            return
        data = job_to_dict(p.normalize(job_id, body), raw=True)
        json.dumps(data)
        assert (data["provider"], data["id"]) == (p.name, job_id)
        assert data["status"] in _STATUS_VALUES
        assert data["done"] == (data["status"] in _DONE)
        assert isinstance(data["provider_status"], str)
        assert all(isinstance(o, str) and o for o in data["outputs"])
        for key in ("created_at", "updated_at", "finished_at"):
            assert data[key] is None or data[key].endswith("Z")
        assert data["kind"] is None or isinstance(data["kind"], str)
        assert data["error"] is None or set(data["error"]) == {"code", "message"}

    def test_normalize_reads_the_sample_answer(self) -> None:
        from jobctl.providers.base import value_at

        p = self.provider
        job = p.normalize(self.sample_id, dict(self.sample_answer))
        word = value_at(self.sample_answer, p.status_field)
        documented = {w.lower(): m for w, m in self.documented_statuses.items()}
        assert (job.provider, job.id, job.provider_status) == (p.name, self.sample_id, word)
        assert job.status.value == documented[str(word).lower()]
        self._assert_well_formed(self.sample_id, dict(self.sample_answer))

    @_EXAMPLES
    @given(body=st.dictionaries(st.text(max_size=12), _json_values, max_size=8))
    def test_normalize_reads_any_json_object_without_raising(self, body: dict[str, Any]) -> None:
        self._assert_well_formed("1", body)

    @_EXAMPLES
    @given(data=st.data())
    def test_normalize_reads_answers_shaped_like_the_sample_with_any_values(
        self, data: st.DataObject
    ) -> None:
        keys = sorted(_leaf_keys(self.sample_answer))
        values = st.recursive(
            _json_scalars,
            lambda inner: (
                st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(keys), inner, max_size=4)
            ),
            max_leaves=15,
        )
        body = data.draw(st.dictionaries(st.sampled_from(keys), values, max_size=len(keys)))
        if data.draw(st.booleans()):
            word = data.draw(st.sampled_from(sorted(self.documented_statuses)) | st.text(max_size=12))
            body = _set_at(body, self.provider.status_field, word)
        self._assert_well_formed("1", body)

    # --- on the wire -----------------------------------------------------------------

    def test_credentials_go_to_the_base_url_and_never_follow_a_redirect_elsewhere(self) -> None:
        from jobctl._http import ProviderClient
        from jobctl.config import ProviderSettings
        from jobctl.sim import Simulator
        from jobctl.sim.server import Step

        p, creds = self.provider, self.credentials()
        job_id = p.validate_id(self.sample_id)
        sent = p.auth.headers(creds)

        def answer(*_: object) -> dict[str, Any]:
            return dict(self.sample_answer)

        with Simulator() as home, Simulator() as elsewhere:
            home.add_route(p.name, p.path, answer, headers=sent)
            elsewhere.add_route(p.name, p.path, answer)
            moved = elsewhere.base_url(p.name) + p.job_path(job_id)
            home.add_job(p.name, job_id, [Step(requests=1), Step(redirect=moved)])
            elsewhere.add_job(p.name, job_id, [Step()])
            client = ProviderClient(ProviderSettings(p, home.base_url(p.name), 10.0, creds))
            try:
                assert client.get_payload(job_id) == self.sample_answer  # at home, with credentials
                assert client.get_payload(job_id) == self.sample_answer  # redirected to another port
            finally:
                client.close()
            at_home = home.requests_for(p.name)
            away = elsewhere.requests_for(p.name)
        assert [r.path for r in at_home] == [f"/{p.name}{p.job_path(job_id)}"] * 2
        assert all({k.lower(): v for k, v in sent.items()}.items() <= r.headers.items() for r in at_home)
        assert len(away) == 1
        leaked = sorted(k for k, v in away[0].headers.items() if any(s in v for s in creds.values()))
        assert leaked == []

    # --- listing and cancelling (where declared) ---------------------------------------

    def _needs_list(self) -> Any:
        if self.provider.list_endpoint is None:
            pytest.skip(f"{self.provider.name} declares no list_endpoint")
        assert self.sample_list_answer is not None, "a provider that lists sets sample_list_answer"
        return self.sample_list_answer

    def test_the_sample_list_answer_reads_as_jobs(self) -> None:
        answer, p = self._needs_list(), self.provider
        items, _ = p.read_list(answer)
        assert items, "sample_list_answer holds no job"
        for n, item in enumerate(items, 1):
            job_id = p.listed_id(item, n)
            assert p.validate_id(job_id) == job_id
            self._assert_well_formed(job_id, dict(item))

    @_EXAMPLES
    @given(body=_json_values)
    def test_any_other_list_answer_is_a_clean_provider_error(self, body: Any) -> None:
        p = self.provider
        if p.list_endpoint is None:
            return
        try:
            items, after = p.read_list(body)
        except ProviderError:
            return
        assert isinstance(items, list) and (after is None or isinstance(after, str))
        for n, item in enumerate(items, 1):
            try:
                p.listed_id(item, n)
            except ProviderError:
                continue

    def test_list_and_cancel_go_with_the_credentials_to_the_declared_paths_only(self) -> None:
        from jobctl._http import ProviderClient
        from jobctl._remote import list_jobs
        from jobctl.config import ProviderSettings
        from jobctl.sim import Simulator
        from jobctl.sim.payloads import SimCancel, SimList
        from jobctl.sim.server import Step

        p, creds = self.provider, self.credentials()
        if p.list_endpoint is None and p.cancel_endpoint is None:
            pytest.skip(f"{p.name} declares neither a list_endpoint nor a cancel_endpoint")
        job_id = p.validate_id(self.sample_id)
        sent = {k.lower(): v for k, v in p.auth.headers(creds).items()}
        allowed: set[tuple[str, str]] = set()
        with Simulator() as home:
            listing = SimList(p.list_endpoint.path, lambda *_: None) if p.list_endpoint else None
            method, path = p.cancel_request(job_id) if p.cancel_endpoint else ("", "")
            cancel = SimCancel(method, p.cancel_endpoint.path, "") if p.cancel_endpoint else None
            home.add_route(p.name, p.path, lambda *_: {}, headers=sent, listing=listing, cancel=cancel)
            client = ProviderClient(ProviderSettings(p, home.base_url(p.name), 10.0, creds))
            try:
                if p.list_endpoint is not None:
                    body = json.dumps(self._needs_list())
                    home.add_answers(p.name, "GET", p.list_endpoint.path, [Step(body=body)])
                    assert list_jobs(client, p, None, 5)
                    allowed.add(("GET", f"/{p.name}{p.list_endpoint.path}"))
                if p.cancel_endpoint is not None:
                    home.add_answers(p.name, method, path, [Step(body="{}")])
                    client.request(method, path, ref=f"{p.name}:{job_id}", expect="anything", action="cancel")
                    allowed.add((method, f"/{p.name}{path}"))
            finally:
                client.close()
            seen = home.requests_for(p.name)
        assert {(r.method, r.path) for r in seen} == allowed
        assert all(sent.items() <= r.headers.items() for r in seen)
