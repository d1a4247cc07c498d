"""A simulated Replicate, for the declarative example in config.example.yaml.

Shaped after Replicate's HTTP API docs: "Get a prediction" (GET /v1/predictions/{id}),
"List predictions" (GET /v1/predictions: ``results``, pages by the ``next`` URL, 100
a page) and "Cancel a prediction" (POST /v1/predictions/{id}/cancel). Written from
the docs, not from the declaration, so a declaration that reads a field Replicate
never sends fails a test.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from jobctl.sim import Simulator
from jobctl.sim.payloads import SimCancel, SimList

EXAMPLE = Path(__file__).parent.parent / "config.example.yaml"
KEY = "r8_sim0replicate0key0000000000000000000"
PREDICTION_ID = "gm3qorzdhgbfurvjtvhg6dckhu"
MODEL = "black-forest-labs/flux-schnell"
FINAL = {"succeeded", "failed", "canceled", "aborted"}


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # Replicate sends microseconds


def prediction(job_id: str, status: str, created: datetime, updated: datetime) -> dict[str, Any]:
    api = f"https://api.replicate.com/v1/predictions/{job_id}"
    return {
        "id": job_id,
        "model": MODEL,
        "version": "5599ed30703defd1d160a25a63321b4dec97101d98b4674bcc56e41f62f35637",
        "input": {"prompt": "a lighthouse at dusk", "num_outputs": 1},
        "logs": "" if status == "starting" else "Using seed: 4127\n",
        "output": [f"https://replicate.delivery/xezq/{job_id}/out-0.webp"] if status == "succeeded" else None,
        "data_removed": False,
        "error": "CUDA out of memory" if status == "failed" else None,
        "status": status,
        "created_at": stamp(created),
        "started_at": None if status == "starting" else stamp(created),
        "completed_at": stamp(updated) if status in FINAL else None,
        "urls": {"get": api, "cancel": f"{api}/cancel", "web": f"https://replicate.com/p/{job_id}"},
        "metrics": {"predict_time": 1.42} if status in FINAL else {},
    }


def declaration() -> dict[str, Any]:
    """The `replicate` declaration exactly as config.example.yaml ships it."""
    data = yaml.safe_load(EXAMPLE.read_text())
    declared: dict[str, Any] = data["providers"]["replicate"]
    return declared


def page(predictions: list[dict[str, Any]], cursor: str | None, url: str) -> dict[str, Any]:
    """One page of "List predictions": ``next`` is the whole URL of the next page."""
    return {"previous": None, "next": f"{url}?cursor={cursor}" if cursor else None, "results": predictions}


def serve(sim: Simulator, page_size: int = 100) -> None:
    sim.add_route(
        "replicate",
        "/v1/predictions/{id}",
        prediction,
        keys={"api_key": KEY},
        headers={"Authorization": f"Bearer {KEY}"},
        listing=SimList("/v1/predictions", page, page_size=page_size),
        cancel=SimCancel("POST", "/v1/predictions/{id}/cancel", "canceled"),
        success="succeeded",
        failure=("failed", "canceled", "aborted"),
    )


def config(sim: Simulator, **entry: Any) -> dict[str, Any]:
    """A config file's data: the example's declaration, a profile pointing it at ``sim``."""
    profile = {**sim.profile(), "replicate": {"api_key": KEY, "base_url": sim.base_url("replicate"), **entry}}
    return {
        "default_profile": "test",
        "profiles": {"test": profile},
        "providers": {"replicate": declaration()},
    }
