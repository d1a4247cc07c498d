"""Krea: GET /jobs/{id} (specs/krea-get-job.md); list GET /jobs, cancel DELETE /jobs/{id}."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jobctl.model import Job, JobError, Status
from jobctl.providers.base import (
    CancelEndpoint,
    ListEndpoint,
    Provider,
    error_of,
    files,
    mapping,
    text,
    timestamp,
)


def krea_error(body: Mapping[str, Any]) -> JobError | None:
    """Krea's docs put the error at ``error`` or ``result.error``, as an object or a string."""
    for value in (body.get("error"), mapping(body, "result").get("error")):
        if isinstance(value, str):
            found = error_of(message=value)
        else:
            err = value if isinstance(value, Mapping) else {}
            found = error_of(err.get("code"), err.get("message"))
        if found:
            return found
    return None


class Krea(Provider):
    name = "krea"
    title = "Krea"
    docs_url = "https://docs.krea.ai/api-reference/general/get-a-job-by-id"
    default_base_url = "https://api.krea.ai"
    path = "/jobs/{id}"
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
    # The docs name the cursor both next_cursor and nextCursor: both are read.
    list_endpoint = ListEndpoint(
        "/jobs",
        items="items",
        id_field="job_id",
        next=("next_cursor", "nextCursor"),
        limit="limit",
        status="status",
    )
    cancel_endpoint = CancelEndpoint("DELETE", "/jobs/{id}")  # queued or processing jobs

    def normalize(self, job_id: str, body: Mapping[str, Any]) -> Job:
        result = mapping(body, "result")
        urls = result.get("urls")
        if isinstance(urls, Mapping) and "url" not in urls:  # node apps: {"trellis": "https://...glb"}
            urls = list(urls.values())
        running = self.status_of(body.get("status"))[0] is Status.RUNNING
        return self.job(
            job_id,
            body,
            kind=text(body, "type"),
            created_at=timestamp(body, "created_at"),
            finished_at=timestamp(body, "completed_at"),
            # A running job's urls (intermediate-complete) are previews, not its outputs.
            outputs=() if running else tuple(files(urls)),
            results={"style_id": result["style_id"]} if result.get("style_id") is not None else {},
            error=krea_error(body),
        )
