"""Creatify: GET /api/inspiration_jobs/{id}/ (specs/creatify-get-inspiration-job.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from jobctl.model import Job, Status
from jobctl.providers.base import (
    UUID,
    Events,
    HeaderAuth,
    Provider,
    Simulated,
    error_of,
    files,
    iso,
    stable_uuid,
    text,
    timestamp,
)


def outputs(job_id: str, url: str) -> dict[str, Any]:
    return {"output": json.dumps([url])}  # a JSON list in a string, as the spec shows


def simulated(
    job_id: str, status: str, created: datetime, updated: datetime, events: Events
) -> dict[str, Any]:
    failed = status in ("failed", "rejected")
    return {
        "id": job_id,
        "inspiration_id": stable_uuid("inspiration", job_id),
        "gen_type": "image_to_video",
        "status": status,
        "failed_reason": "Input image is too small (min 512x512)" if failed else "",
        "input_params": json.dumps({"aspect_ratio": "9:16"}),
        "webhook_url": None,
        **(
            outputs(job_id, f"https://cdn.creatify.ai/out/{job_id}.mp4")
            if status == "done"
            else {"output": ""}
        ),
        "created_at": iso(created),
        "updated_at": iso(updated),
    }


def _not_a_uuid(raw: str) -> tuple[int, dict[str, Any] | None] | None:
    try:
        UUID(raw)
    except ValueError:
        return 404, {"detail": "Not found."}
    return None


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
    sim = Simulated(
        keys={"api_id": "sim-creatify-id", "api_key": "sim-creatify-key"},
        auth={"x-api-id": "{api_id}", "x-api-key": "{api_key}"},
        success="done",
        failure=("failed", "rejected"),
        payload=simulated,
        outputs=outputs,
        rejects_id=_not_a_uuid,
    )

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
