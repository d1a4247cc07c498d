"""Unstructured: GET /api/v1/jobs/{job_id} (specs/unstructured-get-job.md)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from jobctl.model import Job, Status, parse_duration
from jobctl.providers.base import (
    UUID,
    Events,
    HeaderAuth,
    Provider,
    Simulated,
    iso,
    stable_uuid,
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


def simulated(
    job_id: str, status: str, created: datetime, updated: datetime, events: Events
) -> dict[str, Any]:
    finished = status in ("COMPLETED", "FAILED", "STOPPED")
    files = [{"node_id": stable_uuid("node", job_id), "file_id": f"{job_id[:8]}-out.json"}]
    return {
        "id": job_id,
        "workflow_id": stable_uuid("workflow", job_id),
        "workflow_name": "invoices-to-json",
        "status": status,
        "created_at": iso(created, ms=False),
        "runtime": f"PT{(updated - created).total_seconds():.3f}S" if finished else None,
        "input_file_ids": ["invoice-2026-11.pdf"],
        "output_node_files": files if status == "COMPLETED" else None,
        "job_type": "ephemeral",
    }


def _not_a_uuid(raw: str) -> tuple[int, dict[str, Any] | None] | None:
    try:
        UUID(raw)
    except ValueError:
        detail = {"loc": ["path", "job_id"], "msg": "Input should be a valid UUID", "type": "uuid_parsing"}
        return 422, {"detail": [detail]}
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
    sim = Simulated(
        keys={"api_key": "sim-unstructured-key"},
        auth={"unstructured-api-key": "{api_key}"},
        success="COMPLETED",
        failure=("FAILED", "STOPPED"),
        payload=simulated,
        rejects_id=_not_a_uuid,
    )

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
