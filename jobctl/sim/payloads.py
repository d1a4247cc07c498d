"""Spec-shaped job payloads and error bodies for each simulated provider.

Written from ``specs/*.md`` alone, independently of the client's normalizers, so
the tests catch a client that reads a field the provider never sends.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

# Words each spec documents as final, split by outcome (used for default fields).
SUCCESS = {
    "krea": "completed",
    "creatify": "done",
    "unstructured": "COMPLETED",
    "gepetto": "success",
    "aisquare": "COMPLETED",
}
FAILURE = {
    "krea": {"failed", "cancelled"},
    "creatify": {"failed", "rejected"},
    "unstructured": {"FAILED", "STOPPED"},
    "gepetto": {"failed", "error"},
    "aisquare": {"FAILED"},
}

# Routes as the specs give them; "{id}" is one path segment.
ROUTES = {
    "krea": "/jobs/{id}",
    "creatify": "/api/inspiration_jobs/{id}/",
    "unstructured": "/api/v1/jobs/{id}",
    "gepetto": "/v1/job/{id}",
    "aisquare": "/api/v2/orchestrations/jobs/{id}/",
}


def iso(when: datetime | None, ms: bool = True) -> str | None:
    if when is None:
        return None
    return when.strftime("%Y-%m-%dT%H:%M:%S") + (f".{when.microsecond // 1000:03d}" if ms else "") + "Z"


def _stable_uuid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "jobctl-sim:" + ":".join(parts)))


def _finished(provider: str, status: str) -> bool:
    return status == SUCCESS[provider] or status in FAILURE[provider]


def payload(
    provider: str,
    job_id: str,
    status: str,
    created: datetime,
    updated: datetime,
    events: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A 200 body for ``provider`` with default outputs/errors for final states."""
    done_ok = status == SUCCESS[provider]
    failed = status in FAILURE[provider]
    finished_at = updated if _finished(provider, status) else None
    if provider == "krea":
        body: dict[str, Any] = {"job_id": job_id, "status": status, "created_at": iso(created)}
        if finished_at:
            body["completed_at"] = iso(finished_at)
        if done_ok:
            body["result"] = {"urls": [f"https://gen.krea.ai/images/{job_id}.png"]}
        if status == "failed":
            body["error"] = {"code": "nsfw_content", "message": "The prompt was flagged by the safety filter"}
        return body
    if provider == "creatify":
        return {
            "id": job_id,
            "inspiration_id": _stable_uuid("inspiration", job_id),
            "gen_type": "image_to_video",
            "status": status,
            "failed_reason": "Input image is too small (min 512x512)" if failed else "",
            "input_params": json.dumps({"aspect_ratio": "9:16"}),
            "webhook_url": None,
            "output": json.dumps([f"https://cdn.creatify.ai/out/{job_id}.mp4"]) if done_ok else "",
            "created_at": iso(created),
            "updated_at": iso(updated),
        }
    if provider == "unstructured":
        runtime = updated - created if finished_at else None
        return {
            "id": job_id,
            "workflow_id": _stable_uuid("workflow", job_id),
            "workflow_name": "invoices-to-json",
            "status": status,
            "created_at": iso(created, ms=False),
            "runtime": _iso_duration(runtime) if runtime is not None else None,
            "input_file_ids": ["invoice-2026-11.pdf"],
            "output_node_files": [
                {"node_id": _stable_uuid("node", job_id), "file_id": f"{job_id[:8]}-out.json"}
            ]
            if done_ok
            else None,
            "job_type": "ephemeral",
        }
    if provider == "gepetto":
        body = {"status": status, "mode": "furnish", "createdAt": iso(created)}
        body["output"] = f"https://storage.googleapis.com/gepetto/{job_id}.jpg" if done_ok else None
        return body
    if provider == "aisquare":
        return {
            "id": int(job_id),
            "uid": _stable_uuid("aisquare", job_id),
            "created_at": iso(created),
            "updated_at": iso(updated),
            "is_active": True,
            "created_by": None,
            "updated_by": None,
            "deleted_by": None,
            "deleted_at": None,
            "type": "BLOG_GENERATION",
            "status": status,
            "result": {"blog_id": int(job_id) * 10, "url": f"https://aisquare.studio/blog/{job_id}"}
            if done_ok
            else None,
            "error_message": "Upstream model timed out" if failed else None,
            "events": events or [],
        }
    raise KeyError(provider)


def event(n: int, kind: str, content: str, when: datetime) -> dict[str, Any]:
    return {
        "id": n,
        "uid": _stable_uuid("event", str(n), content),
        "created_at": iso(when),
        "updated_at": iso(when),
        "is_active": True,
        "created_by": None,
        "updated_by": None,
        "deleted_by": None,
        "deleted_at": None,
        "type": kind,
        "content": content,
        "metadata": {},
    }


def _iso_duration(delta: timedelta) -> str:
    return f"PT{delta.total_seconds():.3f}S"


def unauthorized(provider: str) -> tuple[int, dict[str, Any] | None]:
    if provider == "krea":
        return 401, {"error": "Unauthorized"}
    if provider == "gepetto":
        return 401, None
    if provider == "aisquare":
        return 401, {"detail": "Authentication credentials were not provided."}
    return 401, {"detail": "Invalid API key"}


def not_found(provider: str) -> tuple[int, dict[str, Any] | None]:
    if provider == "krea":
        return 404, {"error": "Job not found"}
    if provider == "aisquare":
        return 404, {"detail": "No JobPacket matches the given query."}
    return 404, {"detail": "Not found."}


def invalid_id(provider: str, raw_id: str) -> tuple[int, dict[str, Any] | None] | None:
    """What the real API says to an id its route rejects, or None if acceptable."""
    if provider in ("unstructured", "creatify"):
        try:
            uuid.UUID(raw_id)
        except ValueError:
            if provider == "unstructured":
                return 422, {
                    "detail": [
                        {
                            "loc": ["path", "job_id"],
                            "msg": "Input should be a valid UUID",
                            "type": "uuid_parsing",
                        }
                    ]
                }
            return 404, {"detail": "Not found."}
    if provider == "aisquare" and not (raw_id.isascii() and raw_id.isdigit()):
        return 404, {"detail": "Not found."}
    return None
