"""Creatify: GET /api/inspiration_jobs/{id}/ (specs/creatify-get-inspiration-job.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jobctl.model import Job, Status
from jobctl.providers.base import (
    UUID,
    HeaderAuth,
    Provider,
    error_of,
    files,
    text,
    timestamp,
)


class Creatify(Provider):
    name = "creatify"
    title = "Creatify"
    docs_url = "https://docs.creatify.ai/api-reference/inspiration_jobs/get-apiinspiration_jobs-"
    default_base_url = "https://api.creatify.ai"
    path = "/api/inspiration_jobs/{id}/"
    credentials = ("api_id", "api_key")
    auth = HeaderAuth((("X-API-ID", "api_id"), ("X-API-KEY", "api_key")))
    id_rule = UUID
    statuses = {
        "pending": Status.QUEUED,
        "in_queue": Status.QUEUED,
        "initializing": Status.QUEUED,
        "running": Status.RUNNING,
        "generating": Status.RUNNING,
        "done": Status.SUCCEEDED,
        "failed": Status.FAILED,
        "rejected": Status.FAILED,
    }

    def normalize(self, job_id: str, body: Mapping[str, Any]) -> Job:
        updated = timestamp(body, "updated_at")
        status = self.status_of(body.get("status"))[0]
        return self.job(
            job_id,
            body,
            kind=text(body, "gen_type"),
            created_at=timestamp(body, "created_at"),
            updated_at=updated,
            # No completion time in the payload: the last update of a finished job is it.
            finished_at=updated if status.done else None,
            outputs=tuple(files(body.get("output"))),
            # failed_reason is set (or left over) on other jobs too; only a failure's is an error.
            error=error_of(message=body.get("failed_reason")) if status is Status.FAILED else None,
        )
