"""Unstructured: GET /api/v1/jobs/{job_id} (specs/unstructured-get-job.md); list GET
/api/v1/jobs/, cancel POST /api/v1/jobs/{id}/cancel, a failed job's reason from
GET /api/v1/jobs/{id}/details."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from jobctl.model import Job, Status, parse_duration
from jobctl.providers.base import (
    UUID,
    CancelEndpoint,
    HeaderAuth,
    ListEndpoint,
    Provider,
    error_of,
    text,
    timestamp,
)


def _end(created: datetime | None, runtime: timedelta | None) -> datetime | None:
    if created is None or runtime is None:
        return None
    try:
        return created + runtime
    except OverflowError:  # a runtime that would end after year 9999 is not a real one
        return None


class Unstructured(Provider):
    name = "unstructured"
    title = "Unstructured"
    docs_url = "https://docs.unstructured.io/api-reference/jobs/get-job"
    default_base_url = "https://platform.unstructuredapp.io"
    path = "/api/v1/jobs/{id}"
    auth = HeaderAuth((("unstructured-api-key", "api_key"),))
    id_rule = UUID
    statuses = {
        "SCHEDULED": Status.QUEUED,
        "IN_PROGRESS": Status.RUNNING,
        "COMPLETED": Status.SUCCEEDED,
        "FAILED": Status.FAILED,
        "STOPPED": Status.CANCELLED,
    }
    list_endpoint = ListEndpoint("/api/v1/jobs/", status="status")  # a bare array, one page
    cancel_endpoint = CancelEndpoint("POST", "/api/v1/jobs/{id}/cancel")

    def normalize(self, job_id: str, body: Mapping[str, Any]) -> Job:
        created = timestamp(body, "created_at")
        runtime = parse_duration(body.get("runtime"))
        listed = body.get("output_node_files")
        files = [
            {"node_id": f.get("node_id"), "file_id": f["file_id"]}
            for f in (listed if isinstance(listed, list) else [])
            if isinstance(f, Mapping) and isinstance(f.get("file_id"), str) and f["file_id"]
        ]
        return self.job(
            job_id,
            body,
            kind=text(body, "job_type") or text(body, "workflow_name"),
            created_at=created,
            finished_at=_end(created, runtime) if self.finished(body) else None,
            # Unstructured names its outputs by file id, not by URL; the node that wrote
            # each one stays beside it, so a later download can name both.
            outputs=tuple(f["file_id"] for f in files),
            results={"output_node_files": files} if files else {},
        )

    def follow_up(self, job: Job) -> str | None:
        # A failed job's answer says only FAILED; its reason is in the details.
        return f"{self.job_path(job.id)}/details" if job.status is Status.FAILED and not job.error else None

    def read_follow_up(self, job: Job, body: Mapping[str, Any]) -> Job:
        error = error_of(message=text(body, "message"))
        return replace(job, error=error) if error else job
