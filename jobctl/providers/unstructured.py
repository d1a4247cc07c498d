"""Unstructured: GET /api/v1/jobs/{job_id} (specs/unstructured-get-job.md)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from jobctl.model import Job, Status, parse_duration
from jobctl.providers.base import (
    UUID,
    HeaderAuth,
    Provider,
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

    def normalize(self, job_id: str, body: Mapping[str, Any]) -> Job:
        created = timestamp(body, "created_at")
        runtime = parse_duration(body.get("runtime"))
        files = body.get("output_node_files")
        return self.job(
            job_id,
            body,
            kind=text(body, "job_type") or text(body, "workflow_name"),
            created_at=created,
            finished_at=_end(created, runtime) if self.finished(body) else None,
            # Unstructured names its outputs by file id, not by URL.
            outputs=tuple(
                f["file_id"]
                for f in (files if isinstance(files, list) else [])
                if isinstance(f, Mapping) and isinstance(f.get("file_id"), str) and f["file_id"]
            ),
        )
