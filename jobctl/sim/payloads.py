"""Each built-in provider as the simulator plays it: its keys and auth header, its
answers (job bodies, 401, 404, ids it refuses, and where documented its list, cancel and
details endpoints), written from the provider's docs alone, not from its ``normalize``
or its declarations, so a test catches a client that reads what is never sent."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

Events = list[tuple[str, str, datetime]]  # (type, content, when): AISquare's progress events
Payload = Callable[[str, str, datetime, datetime, Events], dict[str, Any]]
Answer = tuple[int, dict[str, Any] | None]


def iso(when: datetime | None, ms: bool = True) -> str | None:
    """A UTC timestamp as the providers write them (``...T10:00:00.000Z``)."""
    if when is None:
        return None
    return when.strftime("%Y-%m-%dT%H:%M:%S") + (f".{when.microsecond // 1000:03d}" if ms else "") + "Z"


def stable_uuid(*parts: str) -> str:
    import uuid  # the simulator's payloads only

    return str(uuid.uuid5(uuid.NAMESPACE_URL, "jobctl-sim:" + ":".join(parts)))


class SimList:
    """A provider's list endpoint as the simulator plays it: GET ``path``, every job of
    the provider newest first, ``page_size`` a page (None: all at once), narrowed by
    the provider's own word in ``status_param`` and sized by ``limit_param`` (1 to
    ``max_limit``, else 400); ``page(jobs, next_cursor, url)`` is the answer's body."""

    def __init__(
        self,
        path: str,
        page: Callable[[list[dict[str, Any]], str | None, str], Any],
        *,
        page_size: int | None = None,
        limit_param: str | None = None,
        max_limit: int = 1000,
        status_param: str | None = None,
        cursor_param: str = "cursor",
        bad_limit: Answer = (400, {"detail": "limit out of range"}),
    ) -> None:
        self.path, self.page, self.page_size = path, page, page_size
        self.limit_param, self.max_limit, self.status_param = limit_param, max_limit, status_param
        self.cursor_param, self.bad_limit = cursor_param, bad_limit


class SimCancel:
    """A provider's cancel endpoint: ``method path`` moves an unfinished job to the word
    ``becomes`` and answers ``answer(job body)``; a finished job gets ``finished``."""

    def __init__(
        self,
        method: str,
        path: str,
        becomes: str,
        *,
        answer: Callable[[dict[str, Any]], Any] = lambda body: body,
        finished: Answer = (409, {"detail": "the job has finished; it cannot be cancelled"}),
    ) -> None:
        self.method, self.path, self.becomes = method, path, becomes
        self.answer, self.finished = answer, finished


class Simulated:
    """How the simulator plays one provider.

    ``path`` is the job's GET path as the spec writes it (with ``{id}``); ``auth`` maps
    lower-case header names to templates over ``keys`` (and
    ``{scheme}``, the simulator's auth scheme word); ``payload(id, status, created,
    updated, events)`` is a 200 body, with final outputs or errors for final words;
    ``outputs(id, url)`` the fields of a finished job whose one output file is ``url``.
    """

    def __init__(
        self,
        *,
        path: str,
        keys: Mapping[str, str],
        auth: Mapping[str, str],
        success: str,
        failure: tuple[str, ...],
        payload: Payload,
        outputs: Callable[[str, str], dict[str, Any]] = lambda job_id, url: {},
        unauthorized: Answer = (401, {"detail": "Invalid API key"}),
        not_found: Answer = (404, {"detail": "Not found."}),
        rejects_id: Callable[[str], Answer | None] = lambda raw: None,
        listing: SimList | None = None,
        cancel: SimCancel | None = None,
        details: tuple[str, Callable[[str, str], dict[str, Any]]] | None = None,
    ) -> None:
        self.path = path  # the job's GET path, with {id}
        self.keys, self.auth, self.payload, self.outputs = dict(keys), dict(auth), payload, outputs
        self.success, self.failure = success, failure
        self.unauthorized, self.not_found, self.rejects_id = unauthorized, not_found, rejects_id
        # Where the provider documents them: its list, its cancel, and (path, payload(id,
        # status)) of a job's details.
        self.listing, self.cancel, self.details = listing, cancel, details


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _not_a_uuid(answer: Answer) -> Callable[[str], Answer | None]:
    """What a provider whose spec types the id as a UUID answers to anything else."""

    def rejects(raw: str) -> Answer | None:
        return None if _UUID.fullmatch(raw) else answer

    return rejects


# --- krea (specs/krea-get-job.md) ---------------------------------------------------------


def krea_outputs(job_id: str, url: str) -> dict[str, Any]:
    return {"result": {"urls": [url]}}


def krea(job_id: str, status: str, created: datetime, updated: datetime, events: Events) -> dict[str, Any]:
    body: dict[str, Any] = {"job_id": job_id, "status": status, "created_at": iso(created)}
    if status in ("completed", "failed", "cancelled"):
        body["completed_at"] = iso(updated)
    if status == "completed":
        body.update(krea_outputs(job_id, f"https://gen.krea.ai/images/{job_id}.png"))
    if status == "failed":
        body["error"] = {"code": "nsfw_content", "message": "The prompt was flagged by the safety filter"}
    return body


# --- creatify (specs/creatify-get-inspiration-job.md) -------------------------------------


def creatify_outputs(job_id: str, url: str) -> dict[str, Any]:
    return {"output": json.dumps([url])}  # a JSON list in a string, as the spec shows


def creatify(
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
            creatify_outputs(job_id, f"https://cdn.creatify.ai/out/{job_id}.mp4")
            if status == "done"
            else {"output": ""}
        ),
        "created_at": iso(created),
        "updated_at": iso(updated),
    }


# --- unstructured (specs/unstructured-get-job.md) -----------------------------------------


def unstructured(
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


_UUID_422 = {"loc": ["path", "job_id"], "msg": "Input should be a valid UUID", "type": "uuid_parsing"}

# GET /api/v1/jobs/{id}/details: processing_status is the details' own vocabulary.
_PROCESSING = {"COMPLETED": "SUCCESS"}


def unstructured_details(job_id: str, status: str) -> dict[str, Any]:
    failed = status == "FAILED"
    return {
        "id": job_id,
        "processing_status": _PROCESSING.get(status, status),
        "node_stats": [
            {
                "node_name": "Partitioner",
                "node_type": "partition",
                "node_subtype": "hi_res",
                "ready": 0,
                "in_progress": 0,
                "success": 0 if failed else 1,
                "failure": 1 if failed else 0,
            }
        ],
        "message": "Partitioner: invoice-2026-11.pdf is password-protected" if failed else None,
    }


# --- gepetto (specs/gepetto-get-job.md) ---------------------------------------------------


def gepetto_outputs(job_id: str, url: str) -> dict[str, Any]:
    return {"output": url}


def gepetto(job_id: str, status: str, created: datetime, updated: datetime, events: Events) -> dict[str, Any]:
    body = {"status": status, "mode": "furnish", "createdAt": iso(created), "output": None}
    if status == "success":
        body.update(gepetto_outputs(job_id, f"https://storage.googleapis.com/gepetto/{job_id}.jpg"))
    return body


# --- aisquare (specs/aisquare-get-job.md) -------------------------------------------------


def _audited(uid: str, when: datetime) -> dict[str, Any]:
    """The bookkeeping fields every AISquare object carries."""
    stamp = iso(when)
    return {
        "uid": uid,
        "created_at": stamp,
        "updated_at": stamp,
        "is_active": True,
        "created_by": None,
        "updated_by": None,
        "deleted_by": None,
        "deleted_at": None,
    }


def _event(n: int, kind: str, content: str, when: datetime) -> dict[str, Any]:
    audited = _audited(stable_uuid("event", str(n), content), when)
    return {"id": n, **audited, "type": kind, "content": content, "metadata": {}}


def aisquare_outputs(job_id: str, url: str) -> dict[str, Any]:
    return {"result": {"blog_id": int(job_id) * 10, "url": url}}


def aisquare(
    job_id: str, status: str, created: datetime, updated: datetime, events: Events
) -> dict[str, Any]:
    result = (
        aisquare_outputs(job_id, f"https://aisquare.studio/blog/{job_id}")
        if status == "COMPLETED"
        else {"result": None}
    )
    return {
        "id": int(job_id),
        **_audited(stable_uuid("aisquare", job_id), created),
        "updated_at": iso(updated),
        "type": "BLOG_GENERATION",
        "status": status,
        **result,
        "error_message": "Upstream model timed out" if status == "FAILED" else None,
        "events": [_event(n, *e) for n, e in enumerate(events, 1)],
    }


def _not_a_number(raw: str) -> Answer | None:
    return None if raw.isascii() and raw.isdigit() else (404, {"detail": "Not found."})


SIMULATED: dict[str, Simulated] = {
    "krea": Simulated(
        path="/jobs/{id}",
        keys={"api_key": "sim-krea-key"},
        auth={"authorization": "Bearer {api_key}"},
        success="completed",
        failure=("failed", "cancelled"),
        payload=krea,
        outputs=krea_outputs,
        unauthorized=(401, {"error": "Unauthorized"}),
        not_found=(404, {"error": "Job not found"}),
        # GET /jobs: limit 1-1000, cursor, status; answers {items, next_cursor}.
        listing=SimList(
            "/jobs",
            lambda jobs, cursor, url: {"items": jobs, "next_cursor": cursor},
            page_size=100,
            limit_param="limit",
            status_param="status",
            bad_limit=(400, {"error": "limit must be between 1 and 1000"}),
        ),
        # DELETE /jobs/{id}: queued or processing jobs.
        cancel=SimCancel(
            "DELETE", "/jobs/{id}", "cancelled", finished=(409, {"error": "Job can no longer be cancelled"})
        ),
    ),
    "creatify": Simulated(
        path="/api/inspiration_jobs/{id}/",
        keys={"api_id": "sim-creatify-id", "api_key": "sim-creatify-key"},
        auth={"x-api-id": "{api_id}", "x-api-key": "{api_key}"},
        success="done",
        failure=("failed", "rejected"),
        payload=creatify,
        outputs=creatify_outputs,
        rejects_id=_not_a_uuid((404, {"detail": "Not found."})),
    ),
    "unstructured": Simulated(
        path="/api/v1/jobs/{id}",
        keys={"api_key": "sim-unstructured-key"},
        auth={"unstructured-api-key": "{api_key}"},
        success="COMPLETED",
        failure=("FAILED", "STOPPED"),
        payload=unstructured,
        rejects_id=_not_a_uuid((422, {"detail": [_UUID_422]})),
        listing=SimList(
            "/api/v1/jobs/", lambda jobs, cursor, url: jobs, status_param="status"
        ),  # a bare array
        cancel=SimCancel(
            "POST",
            "/api/v1/jobs/{id}/cancel",
            "STOPPED",
            answer=lambda body: {},
            finished=(400, {"detail": "Job is not running"}),
        ),
        details=("/api/v1/jobs/{id}/details", unstructured_details),
    ),
    "gepetto": Simulated(
        path="/v1/job/{id}",
        keys={"api_key": "sim-gepetto-key"},
        auth={"authorization": "Bearer {api_key}"},
        success="success",
        failure=("failed", "error"),
        payload=gepetto,
        outputs=gepetto_outputs,
        unauthorized=(401, None),
    ),
    "aisquare": Simulated(
        path="/api/v2/orchestrations/jobs/{id}/",
        keys={"api_key": "sim-aisquare-key"},
        auth={"authorization": "{scheme} {api_key}"},
        success="COMPLETED",
        failure=("FAILED",),
        payload=aisquare,
        outputs=aisquare_outputs,
        unauthorized=(401, {"detail": "Authentication credentials were not provided."}),
        not_found=(404, {"detail": "No JobPacket matches the given query."}),
        rejects_id=_not_a_number,
    ),
}
