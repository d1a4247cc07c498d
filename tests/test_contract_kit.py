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

CREATED = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
FINISHED = datetime(2026, 3, 1, 9, 31, 12, tzinfo=timezone.utc)


def builtin_sample(name: str) -> dict[str, Any]:
    spec = SIMULATED[name]
    return spec.payload(SAMPLE_IDS[name], spec.success, CREATED, FINISHED, [])


class TestKrea(ProviderContract):
    provider = PROVIDERS["krea"]
    documented_statuses = STATUS_WORDS["krea"]
    sample_id = SAMPLE_IDS["krea"]
    sample_answer = builtin_sample("krea")


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
    }
    sample_id = replicate.PREDICTION_ID
    sample_answer = replicate.prediction(replicate.PREDICTION_ID, "succeeded", CREATED, FINISHED)


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


@pytest.mark.parametrize(
    "check",
    [
        "test_the_status_map_holds_exactly_the_documented_words",
        "test_no_id_text_reaches_the_url_path_unescaped",
        "test_normalize_reads_any_json_object_without_raising",
    ],
)
def test_the_kit_fails_a_provider_that_breaks_the_contract(check: str) -> None:
    with pytest.raises((AssertionError, KeyError)):
        getattr(CarelessContract(), check)()
