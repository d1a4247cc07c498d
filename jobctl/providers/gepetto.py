"""Gepetto: GET /v1/job/{id} (specs/gepetto-get-job.md)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from jobctl.model import Job, Status
from jobctl.providers.base import Events, Provider, Simulated, error_of, files, iso, text, timestamp


def outputs(job_id: str, url: str) -> dict[str, Any]:
    return {"output": url}


def simulated(
    job_id: str, status: str, created: datetime, updated: datetime, events: Events
) -> dict[str, Any]:
    body = {"status": status, "mode": "furnish", "createdAt": iso(created), "output": None}
    if status == "success":
        body.update(outputs(job_id, f"https://storage.googleapis.com/gepetto/{job_id}.jpg"))
    return body


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
    sim = Simulated(
        keys={"api_key": "sim-gepetto-key"},
        auth={"authorization": "Bearer {api_key}"},
        success="success",
        failure=("failed", "error"),
        payload=simulated,
        outputs=outputs,
        unauthorized=(401, None),
    )

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
