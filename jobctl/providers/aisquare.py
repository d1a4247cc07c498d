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
    Provider,
    error_of,
    split_result,
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
