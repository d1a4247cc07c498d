"""jobctl.testing, the provider authors' contract kit: every built-in passes it, the
declared Replicate example passes it, and it fails a provider that breaks a promise."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar

import pytest
import replicate
from contract import SAMPLE_IDS, STATUS_WORDS

from jobctl.model import Job, Status
from jobctl.providers import PROVIDERS
from jobctl.providers.declarative import declare
from jobctl.sim.payloads import SIMULATED
from jobctl.testing import ProviderContract

try:
    FAILURES: type[BaseException] = BaseExceptionGroup  # Python 3.11+
except NameError:  # 3.10: hypothesis raises the backport's
    from exceptiongroup import BaseExceptionGroup as FAILURES

CREATED = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
FINISHED = datetime(2026, 3, 1, 9, 31, 12, tzinfo=timezone.utc)


def builtin_sample(name: str) -> dict[str, Any]:
    spec = SIMULATED[name]
    return spec.payload(SAMPLE_IDS[name], spec.success, CREATED, FINISHED, [])


def builtin_list(name: str) -> Any:
    """One page of the provider's list answer, as the simulator plays it from the docs."""
    listing = SIMULATED[name].listing
    assert listing is not None
    return listing.page([builtin_sample(name)], "p1", f"https://example.com/{name}")


class TestKrea(ProviderContract):
    provider = PROVIDERS["krea"]
    documented_statuses = STATUS_WORDS["krea"]
    sample_id = SAMPLE_IDS["krea"]
    sample_answer = builtin_sample("krea")
    sample_list_answer = builtin_list("krea")


class TestCreatify(ProviderContract):
    provider = PROVIDERS["creatify"]
    documented_statuses = STATUS_WORDS["creatify"]
    sample_id = SAMPLE_IDS["creatify"]
    sample_answer = builtin_sample("creatify")


class TestUnstructured(ProviderContract):
    provider = PROVIDERS["unstructured"]
    documented_statuses = STATUS_WORDS["unstructured"]
    sample_id = SAMPLE_IDS["unstructured"]
    sample_answer = builtin_sample("unstructured")
    sample_list_answer = builtin_list("unstructured")


class TestGepetto(ProviderContract):
    provider = PROVIDERS["gepetto"]
    documented_statuses = STATUS_WORDS["gepetto"]
    sample_id = SAMPLE_IDS["gepetto"]
    sample_answer = builtin_sample("gepetto")


class TestAISquare(ProviderContract):
    provider = PROVIDERS["aisquare"]
    documented_statuses = STATUS_WORDS["aisquare"]
    sample_id = SAMPLE_IDS["aisquare"]
    sample_answer = builtin_sample("aisquare")


class TestDeclaredReplicate(ProviderContract):
    provider = declare("replicate", replicate.declaration())()
    documented_statuses = {
        "starting": "queued",
        "processing": "running",
        "succeeded": "succeeded",
        "failed": "failed",
        "canceled": "cancelled",
        "aborted": "cancelled",  # its deadline passed before it started
    }
    sample_id = replicate.PREDICTION_ID
    sample_answer = replicate.prediction(replicate.PREDICTION_ID, "succeeded", CREATED, FINISHED)
    sample_list_answer = replicate.page([sample_answer], None, "https://api.replicate.com/v1/predictions")


# --- the kit can fail ---------------------------------------------------------------------


class Careless(PROVIDERS["gepetto"].__class__):
    """Gepetto with three slips a provider author could make."""

    name = "careless"
    statuses: ClassVar[Mapping[str, Status]] = {**PROVIDERS["gepetto"].statuses, "archived": Status.SUCCEEDED}

    @staticmethod
    def id_rule(raw: str) -> str:  # type: ignore[override]  # lets '..' through
        if "/" in raw or not raw.isprintable():
            raise ValueError("an id")
        return raw

    def normalize(self, job_id: str, body: Mapping[str, Any]) -> Job:
        return self.job(job_id, body, kind=body["mode"])  # a missing key is a KeyError


class CarelessContract(ProviderContract):  # not collected: the tests below call its checks
    provider = Careless()
    documented_statuses = STATUS_WORDS["gepetto"]
    sample_id = "gp_1"
    sample_answer = {"status": "success", "mode": "furnish"}


class CarelessLister(PROVIDERS["krea"].__class__):
    """Krea with a list reader that trusts every answer to be the documented one."""

    name = "careless_lister"

    def read_list(self, body: object) -> tuple[list[Any], str | None]:
        return list(body["items"]), None  # type: ignore[index]


class CarelessListerContract(ProviderContract):  # not collected: the test below calls its check
    provider = CarelessLister()
    documented_statuses = STATUS_WORDS["krea"]
    sample_id = SAMPLE_IDS["krea"]
    sample_answer = builtin_sample("krea")
    sample_list_answer = builtin_list("krea")


@pytest.mark.parametrize(
    ("contract", "check"),
    [
        (CarelessContract, "test_the_status_map_holds_exactly_the_documented_words"),
        (CarelessContract, "test_no_id_text_reaches_the_url_path_unescaped"),
        (CarelessContract, "test_normalize_reads_any_json_object_without_raising"),
        (CarelessListerContract, "test_any_other_list_answer_is_a_clean_provider_error"),
    ],
)
def test_the_kit_fails_a_provider_that_breaks_the_contract(
    contract: type[ProviderContract], check: str
) -> None:
    # hypothesis reports several distinct failures at once as an exception group
    with pytest.raises((AssertionError, KeyError, TypeError, FAILURES)):
        getattr(contract(), check)()


def test_the_kit_takes_statuses_written_as_plain_words() -> None:
    class Plain(PROVIDERS["gepetto"].__class__):
        name = "plain"
        statuses: ClassVar[Mapping[str, Status | str]] = dict(STATUS_WORDS["gepetto"])

    class PlainContract(ProviderContract):
        provider = Plain()
        documented_statuses = STATUS_WORDS["gepetto"]
        sample_id = SAMPLE_IDS["gepetto"]
        sample_answer = builtin_sample("gepetto")

    kit = PlainContract()
    kit.test_the_provider_declares_everything_it_needs()
    kit.test_the_status_map_holds_exactly_the_documented_words()
    kit.test_normalize_reads_the_sample_answer()
