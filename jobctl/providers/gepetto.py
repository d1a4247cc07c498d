"""Gepetto: GET /v1/job/{id} (specs/gepetto-get-job.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jobctl.model import Job, Status
from jobctl.providers.base import (
    SINGLE_SEGMENT,
    BearerAuth,
    Provider,
    collect_outputs,
    text,
    timestamp,
)


class Gepetto(Provider):
    name = "gepetto"
    title = "Gepetto"
    docs_url = "https://docs.gepettoapp.com/endpoints/get-job"
    default_base_url = "https://europe-west1-gepettoai.cloudfunctions.net"
    path = "/v1/job/{id}"
    auth = BearerAuth()
    id_rule = SINGLE_SEGMENT
    statuses = {
        "pending": Status.QUEUED,
        "processing": Status.RUNNING,
        "success": Status.SUCCEEDED,
        "failed": Status.FAILED,
        "error": Status.FAILED,
    }

    def normalize(self, job_id: str, body: Mapping[str, Any]) -> Job:
        return self.job(
            job_id,
            body,
            kind=text(body, "mode"),
            created_at=timestamp(body, "createdAt"),
            outputs=tuple(collect_outputs(body.get("output"))),
        )
