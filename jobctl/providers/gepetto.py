"""Gepetto: GET /v1/job/{id} (specs/gepetto-get-job.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jobctl.model import Job, Status
from jobctl.providers.base import Provider, error_of, files, text, timestamp


class Gepetto(Provider):
    name = "gepetto"
    title = "Gepetto"
    docs_url = "https://docs.gepettoapp.com/endpoints/get-job"
    default_base_url = "https://europe-west1-gepettoai.cloudfunctions.net"
    path = "/v1/job/{id}"
    statuses = {
        "pending": Status.QUEUED,
        "processing": Status.RUNNING,
        "success": Status.SUCCEEDED,
        "failed": Status.FAILED,
        "error": Status.FAILED,
    }

    def normalize(self, job_id: str, body: Mapping[str, Any]) -> Job:
        failed = self.status_of(body.get("status"))[0] is Status.FAILED
        return self.job(
            job_id,
            body,
            kind=text(body, "mode"),
            created_at=timestamp(body, "createdAt"),
            outputs=tuple(files(body.get("output"))),
            # Gepetto's wider docs show a failed job's reason as `error` or `message`.
            error=error_of(message=text(body, "error") or text(body, "message")) if failed else None,
        )
