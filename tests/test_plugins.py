"""Plugins: providers from installed packages (entry-point group ``jobctl.providers``),
loaded only when a name is not built in or providers are listed; a broken one costs
one warning line and never stops the rest."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import KREA_ID, run_process, write_config

import jobctl
from jobctl.providers.base import Provider
from jobctl.sim import Simulator, Step
from jobctl.sim.payloads import SimCancel, SimList, iso

ACME = Path(__file__).parent / "fixtures" / "jobctl-acme"
ACME_KEY = "sim-acme-key-0123456789"
RENDER_ID = "r_7Hq2"
FAST = ("--interval", "0.05", "--max-interval", "0.1")
BUILT_INS = "krea, creatify, unstructured, gepetto, aisquare"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory on sys.path where tests install packages; their modules are forgotten after."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", "") or "").startswith(str(folder)):
            del sys.modules[name]


def install(
    site: Path, dist: str, entry_points: dict[str, str], modules: dict[str, str] | None = None
) -> None:
    """What pip leaves behind for a package: its modules and a dist-info with entry points."""
    for name, source in (modules or {}).items():
        (site / f"{name}.py").write_text(source)
    info = site / f"{dist.replace('-', '_')}-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0.0\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[jobctl.providers]\n{lines}")
    importlib.invalidate_caches()


def acme_render(job_id: str, status: str, created: datetime, updated: datetime) -> dict[str, Any]:
    """An Acme Render answer as its (made-up) docs describe it."""
    final = status in ("ready", "broken", "withdrawn")
    return {
        "id": job_id,
        "status": status,
        "preset": "poster-4k",
        "submitted": iso(created),
        "finished": iso(updated) if final else None,
        "files": [f"https://cdn.acme.example/{job_id}/poster.png"] if status == "ready" else [],
        "problem": {"code": "font_missing", "message": "Font 'Futura' is not licensed"}
        if status == "broken"
        else None,
    }


@pytest.fixture
def acme(site: Path, sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """jobctl-acme installed, the simulator playing Acme, and a profile for all of it."""
    install(
        site,
        "jobctl-acme",
        {"acme": "jobctl_acme:Acme"},
        {"jobctl_acme": (ACME / "jobctl_acme.py").read_text()},
    )
    sim.add_route(
        "acme",
        "/v2/renders/{id}",
        acme_render,
        keys={"api_key": ACME_KEY},
        headers={"Authorization": f"Bearer {ACME_KEY}"},
    )
    profile = {**sim.profile(), "acme": {"api_key": ACME_KEY, "base_url": sim.base_url("acme")}}
    path = write_config(tmp_path / "config.yaml", {"default_profile": "test", "profiles": {"test": profile}})
    monkeypatch.setenv("JOBCTL_CONFIG", str(path))
    return path


BROKEN_IMPORT = "import nothing_here_at_all\n"
NOT_A_PROVIDER = "class Thing:\n    name = 'thing'\n"


# --- a working plugin -----------------------------------------------------------------------


def test_an_installed_plugin_works_through_get(sim: Simulator, acme: Path, jobctl: Any) -> None:
    sim.add_job("acme", RENDER_ID, ["ready"])
    result = jobctl("get", "acme", RENDER_ID, "--json")
    assert (result.code, result.err) == (0, "")
    data = json.loads(result.out)
    assert (data["provider"], data["status"], data["provider_status"], data["kind"], data["outputs"]) == (
        "acme",
        "succeeded",
        "ready",
        "poster-4k",
        [f"https://cdn.acme.example/{RENDER_ID}/poster.png"],
    )
    (request,) = sim.requests_for("acme")
    assert (request.path, request.headers["authorization"]) == (
        f"/acme/v2/renders/{RENDER_ID}",
        f"Bearer {ACME_KEY}",
    )


def test_an_installed_plugin_works_through_watch(sim: Simulator, acme: Path, jobctl: Any) -> None:
    sim.add_job("acme", RENDER_ID, [Step("waiting", requests=2), Step("rendering", requests=2), "broken"])
    result = jobctl("watch", f"acme:{RENDER_ID}", "--until-done", "--json", *FAST)
    assert result.code == 1, result.err
    lines = [json.loads(line) for line in result.lines]
    assert [(d["status"], d["provider_status"]) for d in lines] == [
        ("queued", "waiting"),
        ("running", "rendering"),
        ("failed", "broken"),
    ]
    assert lines[-1]["error"] == {"code": "font_missing", "message": "Font 'Futura' is not licensed"}


def test_providers_says_a_plugin_comes_from_its_distribution(sim: Simulator, acme: Path, jobctl: Any) -> None:
    text = jobctl("providers")
    assert (text.code, text.err) == (0, "")
    assert text.lines[5] == (
        f"acme          configured      plugin jobctl-acme  {sim.base_url('acme')}  "
        "(Authorization: Bearer <api_key>)"
    )
    rows = json.loads(jobctl("providers", "--json").out)
    assert [(r["name"], r["source"]) for r in rows] == [
        *((name, "built-in") for name in BUILT_INS.split(", ")),
        ("acme", "plugin jobctl-acme"),
    ]


def test_an_unknown_provider_suggests_an_installed_plugin(sim: Simulator, acme: Path, jobctl: Any) -> None:
    result = jobctl("get", "acmee:r_1")
    assert result.code == 2
    assert result.err_lines == [
        f"error: unknown provider 'acmee' (did you mean 'acme'?); supported: {BUILT_INS}, acme"
    ]


def test_a_plugin_name_refs_cannot_use_is_neither_offered_nor_suggested(
    sim: Simulator, site: Path, config_file: Path, jobctl: Any
) -> None:
    install(
        site,
        "jobctl-acme",
        {"Acme": "jobctl_acme:Acme"},
        {"jobctl_acme": (ACME / "jobctl_acme.py").read_text()},
    )
    tab = {"_JOBCTL_COMPLETE": "complete_bash", "COMP_WORDS": "jobctl get ", "COMP_CWORD": "2"}
    offered = run_process(env={**tab, "PYTHONPATH": str(site)})
    assert (offered.returncode, offered.stderr) == (0, "")
    assert offered.stdout.split() == [v for n in BUILT_INS.split(", ") for v in (n, f"{n}:")]
    result = jobctl("get", "acme:r_1")
    assert result.code == 2
    assert result.err_lines[-1] == f"error: unknown provider 'acme'; supported: {BUILT_INS}"


def test_a_plugin_entry_in_the_profile_is_checked_when_the_plugin_is_used(
    sim: Simulator, site: Path, tmp_path: Path, jobctl: Any
) -> None:
    install(
        site,
        "jobctl-acme",
        {"acme": "jobctl_acme:Acme"},
        {"jobctl_acme": (ACME / "jobctl_acme.py").read_text()},
    )
    sim.add_route("acme", "/v2/renders/{id}", acme_render, headers={"Authorization": f"Bearer {ACME_KEY}"})
    entry = {"api_key": ACME_KEY, "base_url": sim.base_url("acme"), "api_kye": "x"}
    path = write_config(
        tmp_path / "c.yaml", {"profiles": {"default": {**sim.profile(["krea"]), "acme": entry}}}
    )
    sim.add_job("krea", KREA_ID, ["processing"])
    sim.add_job("acme", RENDER_ID, ["rendering"])
    assert jobctl("get", "krea", KREA_ID, "--config", str(path)).err == ""
    result = jobctl("get", "acme", RENDER_ID, "--config", str(path))
    assert result.code == 0
    assert result.err_lines == [
        f"warning: {path}: unknown key 'api_kye' in profiles.default.acme ignored (did you mean 'api_key'?)"
    ]


def test_jobctl_provider_is_the_base_class_plugins_subclass(acme: Path) -> None:
    from jobctl_acme import Acme

    assert jobctl.Provider is Provider
    assert issubclass(Acme, jobctl.Provider)


# --- laziness ---------------------------------------------------------------------------------


@pytest.fixture
def entry_point_scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the looks at installed packages' entry points."""
    calls: list[str] = []
    real = importlib.metadata.entry_points

    def counting(**params: Any) -> Any:
        calls.append(str(params.get("group")))
        return real(**params)

    monkeypatch.setattr(importlib.metadata, "entry_points", counting)
    return calls


@pytest.mark.parametrize("args", [["get", "krea", KREA_ID], ["--help"], ["get", "--help"], ["--version"]])
def test_a_built_in_name_or_help_never_looks_at_entry_points(
    args: list[str], sim: Simulator, config_file: Path, site: Path, entry_point_scans: list[str], jobctl: Any
) -> None:
    install(
        site, "jobctl-acme", {"acme": "lazy_acme:Acme"}, {"lazy_acme": (ACME / "jobctl_acme.py").read_text()}
    )
    sim.add_job("krea", KREA_ID, ["processing"])
    assert jobctl(*args).code == 0
    assert entry_point_scans == []
    assert "lazy_acme" not in sys.modules


def test_a_profile_naming_a_plugin_lists_entry_points_but_imports_no_plugin_for_a_built_in(
    sim: Simulator, site: Path, tmp_path: Path, entry_point_scans: list[str], jobctl: Any
) -> None:
    install(
        site, "jobctl-acme", {"acme": "lazy_acme:Acme"}, {"lazy_acme": (ACME / "jobctl_acme.py").read_text()}
    )
    profile = {**sim.profile(["krea"]), "acme": {"api_key": ACME_KEY}, "kraa": {}}
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": profile}})
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "krea", KREA_ID, "--config", str(path))
    assert result.code == 0
    # Telling a plugin's entry from a typo takes one look at the entry points' names.
    assert result.err_lines == [
        f"warning: {path}: unknown provider 'kraa' in profiles.default ignored (did you mean 'krea'?)"
    ]
    assert entry_point_scans == ["jobctl.providers"]
    assert "lazy_acme" not in sys.modules


def test_a_name_that_is_not_built_in_looks_at_entry_points_once(
    sim: Simulator, acme: Path, entry_point_scans: list[str], jobctl: Any
) -> None:
    sim.add_job("acme", "r_1", ["ready"])
    sim.add_job("acme", "r_2", ["ready"])
    assert jobctl("get", "acme:r_1", "acme:r_2", f"krea:{KREA_ID}").code == 4
    assert entry_point_scans == ["jobctl.providers"]


# --- broken plugins ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "modules", "warning"),
    [
        (
            "broken_acme:Acme",
            {"broken_acme": BROKEN_IMPORT},
            "plugin 'acme' from jobctl-acme failed to load "
            "(ModuleNotFoundError: No module named 'nothing_here_at_all')",
        ),
        (
            "broken_acme:Thing",
            {"broken_acme": NOT_A_PROVIDER},
            "plugin 'acme' from jobctl-acme ignored: Thing is not a jobctl.Provider subclass",
        ),
        (
            "broken_acme:Acme",
            {"broken_acme": "from jobctl.plugin import Provider\nclass Acme(Provider):\n    name = 'acme'\n"},
            "plugin 'acme' from jobctl-acme ignored: does not declare title; does not declare docs_url; "
            "does not declare default_base_url; does not declare path; does not declare statuses",
        ),
        (
            "jobctl_acme_copy:Acme",
            {
                "jobctl_acme_copy": (ACME / "jobctl_acme.py")
                .read_text()
                .replace('name = "acme"', 'name = "acme2"')
            },
            "plugin 'acme' from jobctl-acme ignored: its class is named 'acme2', not 'acme'",
        ),
        (
            "broken_acme:missing",
            {"broken_acme": ""},
            "plugin 'acme' from jobctl-acme failed to load "
            "(AttributeError: module 'broken_acme' has no attribute 'missing')",
        ),
    ],
)
def test_a_broken_plugin_costs_one_warning_line_and_the_rest_are_listed(
    target: str,
    modules: dict[str, str],
    warning: str,
    sim: Simulator,
    config_file: Path,
    site: Path,
    jobctl: Any,
) -> None:
    install(site, "jobctl-acme", {"acme": target}, modules)
    result = jobctl("providers", "--json")
    assert result.code == 0
    assert result.err_lines == [f"warning: {warning}"]
    assert [r["name"] for r in json.loads(result.out)] == BUILT_INS.split(", ")


def test_a_ref_to_a_broken_plugin_is_exit_2_and_the_built_ins_still_answer(
    sim: Simulator, config_file: Path, site: Path, jobctl: Any
) -> None:
    install(site, "jobctl-acme", {"acme": "broken_acme:Acme"}, {"broken_acme": BROKEN_IMPORT})
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "acme:r_1", f"krea:{KREA_ID}", "--json")
    assert result.code == 2
    assert [j["id"] for j in json.loads(result.out)] == [KREA_ID]
    assert result.err_lines == [
        "warning: plugin 'acme' from jobctl-acme failed to load "
        "(ModuleNotFoundError: No module named 'nothing_here_at_all')",
        f"error: unknown provider 'acme'; supported: {BUILT_INS}",
    ]


def test_a_broken_plugin_is_never_loaded_for_a_built_in(
    sim: Simulator, config_file: Path, site: Path, jobctl: Any
) -> None:
    install(site, "jobctl-acme", {"acme": "broken_acme:Acme"}, {"broken_acme": BROKEN_IMPORT})
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "krea", KREA_ID)
    assert (result.code, result.err) == (0, "")


def test_a_plugin_may_not_take_a_built_in_name(
    sim: Simulator, config_file: Path, site: Path, jobctl: Any
) -> None:
    source = (ACME / "jobctl_acme.py").read_text().replace('name = "acme"', 'name = "krea"')
    install(site, "jobctl-evil", {"krea": "evil_krea:Acme"}, {"evil_krea": source})
    listed = jobctl("providers", "--json")
    assert listed.err_lines == [
        "warning: plugin 'krea' from jobctl-evil ignored: 'krea' is a built-in provider"
    ]
    first = json.loads(listed.out)[0]
    assert (first["name"], first["source"]) == ("krea", "built-in")
    sim.add_job("krea", KREA_ID, ["processing"])
    assert jobctl("get", "krea", KREA_ID).err == ""
    assert [r.path for r in sim.requests_for("krea")] == [f"/krea/jobs/{KREA_ID}"]
    assert "evil_krea" not in sys.modules


def test_a_declaration_wins_over_a_plugin_of_the_same_name(
    sim: Simulator, site: Path, tmp_path: Path, jobctl: Any
) -> None:
    install(
        site,
        "jobctl-acme",
        {"acme": "jobctl_acme:Acme"},
        {"jobctl_acme": (ACME / "jobctl_acme.py").read_text()},
    )
    declared = {
        "base_url": "https://render.example",
        "path": "/r/{id}",
        "status": {"map": {"ok": "succeeded"}},
    }
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": {}}, "providers": {"acme": declared}})
    result = jobctl("providers", "--json", "--config", str(path))
    assert result.err_lines == [
        f"warning: plugin 'acme' from jobctl-acme ignored: {path} declares 'acme' itself"
    ]
    assert json.loads(result.out)[5]["source"] == str(path)


def test_an_installed_plugin_works_through_download(
    sim: Simulator, acme: Path, jobctl: Any, tmp_path: Path
) -> None:
    sim.add_file("poster.png", 2048, content_type="image/png")
    sim.add_job("acme", RENDER_ID, [Step("ready", fields={"files": [sim.file_url("poster.png")]})])
    out = tmp_path / "out"
    result = jobctl("download", f"acme:{RENDER_ID}", "-d", str(out), "--json")
    assert result.code == 0, result.err
    (saved,) = json.loads(result.out)
    assert (saved["provider"], saved["path"], saved["bytes"]) == (
        "acme",
        str(out / f"acme-{RENDER_ID}.png"),
        2048,
    )
    (fetched,) = sim.requests_for("files")
    assert fetched.headers["authorization"] == f"Bearer {ACME_KEY}"  # the provider's own origin


# --- statuses as plain words, list and cancel -------------------------------------------------

# Acme as its author might write it without importing Status, with the list and cancel its
# (made-up) docs describe: GET /v2/renders -> {"renders": [...], "next_page": cursor},
# POST /v2/renders/{id}/withdraw.
PLAIN_ACME = (
    (ACME / "jobctl_acme.py")
    .read_text()
    .replace("Status.QUEUED", '"queued"')
    .replace("Status.RUNNING", '"running"')
    .replace("Status.SUCCEEDED", '"succeeded"')
    .replace("Status.FAILED", '"failed"')
    .replace("Status.CANCELLED", '"cancelled"')
    .replace("from jobctl.plugin import", "from jobctl.plugin import CancelEndpoint, ListEndpoint,")
    .replace(
        "    def normalize",
        "    list_endpoint = ListEndpoint(\n"
        '        "/v2/renders", items="renders", next=("next_page",), limit="per_page"\n'
        "    )\n"
        '    cancel_endpoint = CancelEndpoint("POST", "/v2/renders/{id}/withdraw")\n\n'
        "    def normalize",
    )
)


@pytest.fixture
def plain_acme(site: Path, sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    install(site, "jobctl-acme", {"acme": "plain_acme:Acme"}, {"plain_acme": PLAIN_ACME})
    sim.add_route(
        "acme",
        "/v2/renders/{id}",
        acme_render,
        keys={"api_key": ACME_KEY},
        headers={"Authorization": f"Bearer {ACME_KEY}"},
        listing=SimList(
            "/v2/renders",
            lambda renders, cursor, url: {"renders": renders, "next_page": cursor},
            page_size=50,
            limit_param="per_page",
        ),
        cancel=SimCancel("POST", "/v2/renders/{id}/withdraw", "withdrawn"),
        success="ready",
        failure=("broken", "withdrawn"),
    )
    profile = {**sim.profile(), "acme": {"api_key": ACME_KEY, "base_url": sim.base_url("acme")}}
    path = write_config(tmp_path / "config.yaml", {"default_profile": "test", "profiles": {"test": profile}})
    monkeypatch.setenv("JOBCTL_CONFIG", str(path))
    return path


def test_a_plugin_may_write_its_statuses_as_plain_words(
    sim: Simulator, plain_acme: Path, jobctl: Any
) -> None:
    sim.add_job("acme", RENDER_ID, [Step("rendering", requests=1), "ready"])
    assert jobctl("providers").err == ""
    result = jobctl("watch", f"acme:{RENDER_ID}", "--until-done", "--json", *FAST)
    assert (result.code, result.err) == (0, "")
    assert [(d["status"], d["done"]) for d in map(json.loads, result.lines)] == [
        ("running", False),
        ("succeeded", True),
    ]


def test_a_plugin_declaring_list_and_cancel_works_through_ls_remote_and_cancel(
    sim: Simulator, plain_acme: Path, jobctl: Any
) -> None:
    sim.add_job("acme", RENDER_ID, ["rendering"])
    listed = jobctl("ls", "--remote", "acme", "--json")
    assert (listed.code, listed.err) == (0, "")
    assert [(j["id"], j["status"]) for j in json.loads(listed.out)] == [(RENDER_ID, "running")]
    result = jobctl("cancel", f"acme:{RENDER_ID}", "--json")
    assert (result.code, result.err) == (0, "")
    assert (json.loads(result.out)["status"], json.loads(result.out)["provider_status"]) == (
        "cancelled",
        "withdrawn",
    )
    assert [(r.method, r.path, r.query) for r in sim.requests_for("acme")][:3] == [
        ("GET", "/acme/v2/renders", "per_page=20"),
        ("GET", f"/acme/v2/renders/{RENDER_ID}", ""),
        ("POST", f"/acme/v2/renders/{RENDER_ID}/withdraw", ""),
    ]


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            '"waiting": "queued",',
            '"waiting": "QUEUED",',
            "statuses must map the provider's words to jobctl.Status members or the words "
            "queued, running, succeeded, failed, cancelled",
        ),
        (
            'CancelEndpoint("POST",',
            'CancelEndpoint("GET",',
            "cancel_endpoint needs a method of POST, DELETE, PUT, PATCH and a path that starts with '/' "
            "and holds '{id}' once",
        ),
        (
            '"/v2/renders", items=',
            '"v2/renders?all=1", items=',
            "list_endpoint path 'v2/renders?all=1' must start with '/' and hold no braces, "
            "'?', '#', spaces or '.' or '..' segments",
        ),
    ],
    ids=["status word in capitals", "cancel by GET", "list path"],
)
def test_a_plugin_with_a_bad_status_word_list_or_cancel_is_one_warning(
    old: str, new: str, problem: str, sim: Simulator, config_file: Path, site: Path, jobctl: Any
) -> None:
    assert old in PLAIN_ACME
    install(site, "jobctl-acme", {"acme": "bad_acme:Acme"}, {"bad_acme": PLAIN_ACME.replace(old, new)})
    result = jobctl("providers", "--json")
    assert result.code == 0
    assert result.err_lines == [f"warning: plugin 'acme' from jobctl-acme ignored: {problem}"]
