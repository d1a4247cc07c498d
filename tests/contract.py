"""What PRODUCT.md and the specs promise, written out once for the tests.

Copied from the documents by hand, not imported from ``jobctl``, so a provider
module that drifts from the contract fails a test instead of redefining it.
"""

from __future__ import annotations

from conftest import AISQUARE_ID, CREATIFY_ID, GEPETTO_ID, KREA_ID, UNSTRUCTURED_ID

PROVIDER_NAMES = ("krea", "creatify", "unstructured", "gepetto", "aisquare")

SAMPLE_IDS = {
    "krea": KREA_ID,
    "creatify": CREATIFY_ID,
    "unstructured": UNSTRUCTURED_ID,
    "gepetto": GEPETTO_ID,
    "aisquare": AISQUARE_ID,
}

# The documented GET path, behind the simulator's per-provider prefix.
SAMPLE_PATHS = {
    "krea": f"/krea/jobs/{KREA_ID}",
    "creatify": f"/creatify/api/inspiration_jobs/{CREATIFY_ID}/",
    "unstructured": f"/unstructured/api/v1/jobs/{UNSTRUCTURED_ID}",
    "gepetto": f"/gepetto/v1/job/{GEPETTO_ID}",
    "aisquare": f"/aisquare/api/v2/orchestrations/jobs/{AISQUARE_ID}/",
}

# Every status word of PRODUCT.md and what it becomes.
STATUS_WORDS: dict[str, dict[str, str]] = {
    "krea": {
        "backlogged": "queued",
        "queued": "queued",
        "scheduled": "queued",
        "processing": "running",
        "sampling": "running",
        "intermediate-complete": "running",
        "completed": "succeeded",
        "failed": "failed",
        "cancelled": "cancelled",
    },
    "creatify": {
        "pending": "queued",
        "in_queue": "queued",
        "initializing": "queued",
        "running": "running",
        "generating": "running",
        "done": "succeeded",
        "failed": "failed",
        "rejected": "failed",
    },
    "unstructured": {
        "SCHEDULED": "queued",
        "IN_PROGRESS": "running",
        "COMPLETED": "succeeded",
        "FAILED": "failed",
        "STOPPED": "cancelled",
    },
    "gepetto": {
        "pending": "queued",
        "processing": "running",
        "success": "succeeded",
        "failed": "failed",
        "error": "failed",
    },
    "aisquare": {
        "PENDING": "queued",
        "RUNNING": "running",
        "COMPLETED": "succeeded",
        "FAILED": "failed",
    },
}

# PRODUCT.md "Reading real answers": terminal words the specs do not list, by meaning.
COMMON_WORDS = {
    "canceled": "cancelled",
    "cancelled": "cancelled",
    "error": "failed",
    "errored": "failed",
    "failure": "failed",
    "success": "succeeded",
    "succeeded": "succeeded",
    "complete": "succeeded",
    "completed": "succeeded",
    "done": "succeeded",
    "finished": "succeeded",
    "expired": "failed",
    "timeout": "failed",
    "timed_out": "failed",
}

DONE = {"succeeded", "failed", "cancelled"}

ALL_STATUS_CASES = [(p, word, status) for p, words in STATUS_WORDS.items() for word, status in words.items()]

# Header names (lower-cased) that carry a credential for some provider.
CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-id", "x-api-key", "unstructured-api-key"})

# What the simulator must receive from each provider's default simulator profile.
AUTH_HEADERS = {
    "krea": {"authorization": "Bearer sim-krea-key"},
    "creatify": {"x-api-id": "sim-creatify-id", "x-api-key": "sim-creatify-key"},
    "unstructured": {"unstructured-api-key": "sim-unstructured-key"},
    "gepetto": {"authorization": "Bearer sim-gepetto-key"},
    "aisquare": {"authorization": "Bearer sim-aisquare-key"},
}

# Every secret the simulator's default profile holds (jobctl.sim.server.DEFAULT_KEYS).
SIM_SECRETS = (
    "sim-krea-key",
    "sim-creatify-id",
    "sim-creatify-key",
    "sim-unstructured-key",
    "sim-gepetto-key",
    "sim-aisquare-key",
)
