"""Krea: GET /jobs/{id} (specs/krea-get-job.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jobctl.model import Job, Status
from jobctl.providers.base import (
    SINGLE_SEGMENT,
    BearerAuth,
    Provider,
    collect_outputs,
    error_of,
    mapping,
    text,
    timestamp,
)


class Krea(Provider):
    name = "krea"
    title = "Krea"
    docs_url = "https://docs.krea.ai/api-reference/general/get-a-job-by-id"
    default_base_url = "https://api.krea.ai"
    path = "/jobs/{id}"
    auth = BearerAuth()
    id_rule = SINGLE_SEGMENT
    statuses = {
        "backlogged": Status.QUEUED,
        "queued": Status.QUEUED,
        "scheduled": Status.QUEUED,
        "processing": Status.RUNNING,
        "sampling": Status.RUNNING,
        "intermediate-complete": Status.RUNNING,
        "completed": Status.SUCCEEDED,
        "failed": Status.FAILED,
        "cancelled": Status.CANCELLED,
    }

    def normalize(self, job_id: str, body: Mapping[str, Any]) -> Job:
        result = mapping(body, "result")
        error = mapping(body, "error")
        return self.job(
            job_id,
            body,
            kind=text(body, "type"),
            created_at=timestamp(body, "created_at"),
            finished_at=timestamp(body, "completed_at"),
            outputs=tuple(
                collect_outputs(result.get("urls"))
                + collect_outputs({"style_id": result["style_id"]} if "style_id" in result else None)
            ),
            error=error_of(error.get("code"), error.get("message")),
        )
