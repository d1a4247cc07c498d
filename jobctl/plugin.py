"""What a provider plugin imports: the base class, auth styles, id rules and payload readers.

    from jobctl.plugin import Job, Provider, Status, error_of, text, timestamp

    class Acme(Provider):
        name = "acme"                  # the entry point's name too
        title = "Acme Render"
        docs_url = "https://docs.acme.example/jobs"
        default_base_url = "https://api.acme.example"
        path = "/v2/renders/{id}"
        statuses = {"waiting": Status.QUEUED, "rendering": Status.RUNNING, ...}

        def normalize(self, job_id, body):
            return self.job(job_id, body, created_at=timestamp(body, "created"), ...)

``auth`` defaults to ``BearerAuth()`` (``Authorization: Bearer <api_key>``) and
``id_rule`` to ``SINGLE_SEGMENT``; ``statuses`` may name the words as text too
(``"queued"``). Where the API documents them, ``list_endpoint = ListEndpoint(...)`` and
``cancel_endpoint = CancelEndpoint(...)`` give ``ls --remote`` and ``cancel``; the
hooks behind them (``read_list``, ``listed_id``, ``list_params``, ``cancel_request``)
may be overridden for an API of another shape. ``jobctl.testing`` holds the contract
tests.
"""

from __future__ import annotations

from jobctl.errors import ProviderError
from jobctl.model import Job, JobError, Status, parse_duration, parse_timestamp
from jobctl.providers.base import (
    POSITIVE_INT,
    SINGLE_SEGMENT,
    UUID,
    Auth,
    BearerAuth,
    CancelEndpoint,
    HeaderAuth,
    IdRule,
    ListEndpoint,
    Provider,
    error_of,
    files,
    mapping,
    split_result,
    text,
    timestamp,
    value_at,
)

__all__ = [
    "POSITIVE_INT",
    "SINGLE_SEGMENT",
    "UUID",
    "Auth",
    "BearerAuth",
    "CancelEndpoint",
    "HeaderAuth",
    "IdRule",
    "Job",
    "JobError",
    "ListEndpoint",
    "Provider",
    "ProviderError",
    "Status",
    "error_of",
    "files",
    "mapping",
    "parse_duration",
    "parse_timestamp",
    "split_result",
    "text",
    "timestamp",
    "value_at",
]
