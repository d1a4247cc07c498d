"""AISquare Studio: GET /api/v2/orchestrations/jobs/{id}/ (specs/aisquare-get-job.md).

The spec names neither host nor auth scheme; see the README for the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from jobctl.model import Job, Status
from jobctl.providers.base import (
    POSITIVE_INT,
    Events,
    Provider,
    Simulated,
    error_of,
    iso,
    split_result,
    stable_uuid,
    text,
    timestamp,
)
from jobctl.providers.profile_keys import COMMON_OPTIONS


def newest_event(events: object) -> str | None:
    """``TYPE: content`` of the newest event, by created_at, else list order."""
    if not isinstance(events, list):
        return None
    usable = [e for e in events if isinstance(e, Mapping) and text(e, "content")]
    if not usable:
        return None
    oldest = datetime.min.replace(tzinfo=timezone.utc)
    order = [(timestamp(e, "created_at") or oldest, i) for i, e in enumerate(usable)]
    newest = usable[max(order)[1]]
    kind = text(newest, "type")
    content = " ".join(str(newest["content"]).split())
    return f"{kind}: {content}" if kind else content


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


def outputs(job_id: str, url: str) -> dict[str, Any]:
    return {"result": {"blog_id": int(job_id) * 10, "url": url}}


def simulated(
    job_id: str, status: str, created: datetime, updated: datetime, events: Events
) -> dict[str, Any]:
    result = (
        outputs(job_id, f"https://aisquare.studio/blog/{job_id}")
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


def _not_a_number(raw: str) -> tuple[int, dict[str, Any] | None] | None:
    return None if raw.isascii() and raw.isdigit() else (404, {"detail": "Not found."})


class AISquare(Provider):
    name = "aisquare"
    title = "AISquare Studio"
    docs_url = "https://docs.aisquare.studio/api-reference/ai-square-studio-api/orchestrations/jobs-retrieve"
    default_base_url = "https://api.aisquare.studio"
    path = "/api/v2/orchestrations/jobs/{id}/"
    options = (*COMMON_OPTIONS, "auth_scheme")
    id_rule = POSITIVE_INT
    statuses = {
        "PENDING": Status.QUEUED,
        "RUNNING": Status.RUNNING,
        "COMPLETED": Status.SUCCEEDED,
        "FAILED": Status.FAILED,
    }
    sim = Simulated(
        keys={"api_key": "sim-aisquare-key"},
        auth={"authorization": "{scheme} {api_key}"},
        success="COMPLETED",
        failure=("FAILED",),
        payload=simulated,
        outputs=outputs,
        unauthorized=(401, {"detail": "Authentication credentials were not provided."}),
        not_found=(404, {"detail": "No JobPacket matches the given query."}),
        rejects_id=_not_a_number,
    )

    def normalize(self, job_id: str, body: Mapping[str, Any]) -> Job:
        updated = timestamp(body, "updated_at")
        outputs, results = split_result(body.get("result"))
        return self.job(
            job_id,
            body,
            kind=text(body, "type"),
            created_at=timestamp(body, "created_at"),
            updated_at=updated,
            finished_at=updated if self.finished(body) else None,
            outputs=tuple(outputs),
            results=results,
            error=error_of(message=body.get("error_message")),
            activity=newest_event(body.get("events")),
        )
