"""Configuration: where the file and profile come from, credentials, validation, and
`jobctl config path | show | check`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import CREATIFY_ID, GEPETTO_ID, KREA_ID, write_config
from contract import SIM_SECRETS

from jobctl.sim import Simulator


def krea_entry(sim: Simulator, **fields: Any) -> dict[str, Any]:
    return {"api_key": "sim-krea-key", "base_url": sim.base_url("krea"), **fields}


def app_dir_config(root: Path) -> Path:
    return root / "jobctl" / "config.yaml"


def assert_nothing_sent(sim: Simulator) -> None:
    assert sim.requests_for() == []


# --- which file ---------------------------------------------------------------------------


def test_the_config_option_beats_jobctl_config(
    sim: Simulator, tmp_path: Path, jobctl: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "env.yaml"
    broken.write_text("profiles: [\n")
    monkeypatch.setenv("JOBCTL_CONFIG", str(broken))
    chosen = write_config(tmp_path / "option.yaml", {"profiles": {"default": {"krea": krea_entry(sim)}}})
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "krea", KREA_ID, "--json", "--config", str(chosen))
    assert result.code == 0, result.err
    assert json.loads(result.out)["status"] == "running"
    assert jobctl("config", "path", "--config", str(chosen)).lines == [str(chosen)]


def test_jobctl_config_beats_the_app_dir(
    sim: Simulator, tmp_path: Path, jobctl: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_file = app_dir_config(Path(os.environ["XDG_CONFIG_HOME"]))
    app_file.parent.mkdir(parents=True)
    app_file.write_text("profiles: [\n")
    chosen = write_config(tmp_path / "env.yaml", {"profiles": {"default": {"krea": krea_entry(sim)}}})
    monkeypatch.setenv("JOBCTL_CONFIG", str(chosen))
    sim.add_job("krea", KREA_ID, ["processing"])
    assert jobctl("get", "krea", KREA_ID).code == 0
    assert jobctl("config", "path").lines == [str(chosen)]
    assert json.loads(jobctl("config", "show", "--json").out)["file"] == str(chosen)


def test_without_option_or_env_the_file_in_the_xdg_app_dir_is_read(sim: Simulator, jobctl: Any) -> None:
    app_file = write_config(
        app_dir_config(Path(os.environ["XDG_CONFIG_HOME"])),
        {"profiles": {"default": {"krea": krea_entry(sim)}}},
    )
    sim.add_job("krea", KREA_ID, ["processing"])
    assert jobctl("get", "krea", KREA_ID).code == 0
    assert jobctl("config", "path").lines == [str(app_file)]
    assert json.loads(jobctl("config", "show", "--json").out)["file"] == str(app_file)


def test_without_xdg_config_home_the_app_dir_is_under_home(
    sim: Simulator, jobctl: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME")
    app_file = write_config(
        app_dir_config(Path(os.environ["HOME"]) / ".config"),
        {"profiles": {"default": {"krea": krea_entry(sim)}}},
    )
    sim.add_job("krea", KREA_ID, ["processing"])
    assert jobctl("get", "krea", KREA_ID).code == 0
    assert jobctl("config", "path").lines == [str(app_file)]


def test_a_missing_app_dir_file_is_fine_but_a_missing_named_file_is_an_error(
    tmp_path: Path, jobctl: Any
) -> None:
    assert jobctl("config", "check", env={"KREA_API_KEY": "k-from-env"}).code == 0
    missing = tmp_path / "nope.yaml"
    result = jobctl("config", "check", "--config", str(missing))
    assert result.code == 2
    assert result.err_lines == [
        f"error: config file {missing} does not exist; create it (see config.example.yaml) "
        "or fix --config / JOBCTL_CONFIG"
    ]


# --- which profile ------------------------------------------------------------------------

PROFILE_CASES = [
    # (command-line args, JOBCTL_PROFILE, default_profile in the file, expected profile, its source)
    (["--profile", "opt"], "envp", "dflt", "opt", "--profile"),
    (["-p", "opt"], None, None, "opt", "--profile"),
    ([], "envp", "dflt", "envp", "JOBCTL_PROFILE"),
    ([], None, "dflt", "dflt", "default_profile"),
    ([], None, None, "default", "default"),
]


@pytest.mark.parametrize(("args", "env_profile", "default_profile", "expected", "source"), PROFILE_CASES)
def test_the_profile_comes_from_option_then_env_then_default_profile_then_default(
    args: list[str],
    env_profile: str | None,
    default_profile: str | None,
    expected: str,
    source: str,
    sim: Simulator,
    tmp_path: Path,
    jobctl: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Only the expected profile holds the key the simulator accepts.
    profiles = {
        name: {"krea": krea_entry(sim, api_key="sim-krea-key" if name == expected else f"wrong-{name}")}
        for name in ("opt", "envp", "dflt", "default")
    }
    data: dict[str, Any] = {"profiles": profiles}
    if default_profile:
        data["default_profile"] = default_profile
    monkeypatch.setenv("JOBCTL_CONFIG", str(write_config(tmp_path / "c.yaml", data)))
    if env_profile:
        monkeypatch.setenv("JOBCTL_PROFILE", env_profile)
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "krea", KREA_ID, *args)
    assert result.code == 0, result.err
    assert sim.requests_for("krea")[0].headers["authorization"] == "Bearer sim-krea-key"
    shown = json.loads(jobctl("config", "show", "--json", *args).out)
    assert shown["profile"] == f"{expected} (from {source})"


@pytest.mark.parametrize(
    ("args", "env", "default_profile", "named", "source"),
    [
        (["--profile", "wrok"], {}, None, "wrok", "--profile"),
        ([], {"JOBCTL_PROFILE": "wrok"}, None, "wrok", "JOBCTL_PROFILE"),
        ([], {}, "wrok", "wrok", "default_profile"),
    ],
)
def test_an_unknown_profile_is_an_error_listing_the_profiles(
    args: list[str],
    env: dict[str, str],
    default_profile: str | None,
    named: str,
    source: str,
    sim: Simulator,
    tmp_path: Path,
    jobctl: Any,
) -> None:
    data: dict[str, Any] = {"profiles": {"test": {"krea": krea_entry(sim)}, "work": {}}}
    if default_profile:
        data["default_profile"] = default_profile
    path = write_config(tmp_path / "c.yaml", data)
    result = jobctl("get", "krea", KREA_ID, "--config", str(path), *args, env=env)
    assert result.code == 2
    assert result.out == ""
    assert result.err_lines == [
        f"error: profile '{named}' (from {source}) is not defined in {path}; "
        "profiles: test, work (did you mean 'work'?)"
    ]
    assert_nothing_sent(sim)


# --- credentials ---------------------------------------------------------------------------


def test_var_references_are_expanded_from_the_environment(
    sim: Simulator, tmp_path: Path, jobctl: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = {"api_key": "sim-${WHICH}-key", "base_url": "${SIM_ORIGIN}/krea"}
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": {"krea": entry}}})
    monkeypatch.setenv("WHICH", "krea")
    monkeypatch.setenv("SIM_ORIGIN", sim.origin)
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "krea", KREA_ID, "--config", str(path))
    assert result.code == 0, result.err
    assert sim.requests_for("krea")[0].headers["authorization"] == "Bearer sim-krea-key"


def test_an_unset_var_reference_names_the_key_the_file_and_the_variable(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    path = write_config(
        tmp_path / "c.yaml", {"profiles": {"default": {"krea": krea_entry(sim, api_key="${MY_KREA_TOKEN}")}}}
    )
    result = jobctl("get", "krea", KREA_ID, "--config", str(path))
    assert result.code == 2
    assert result.err_lines == [
        f"error: profiles.default.krea.api_key in {path} uses ${{MY_KREA_TOKEN}}, which is not set; "
        "export MY_KREA_TOKEN=... or write the value into the file"
    ]
    assert_nothing_sent(sim)


def test_env_vars_serve_when_the_profile_entry_has_no_credentials(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    profile = {
        "krea": {"base_url": sim.base_url("krea")},
        "creatify": {"base_url": sim.base_url("creatify"), "api_id": "sim-creatify-id"},
    }
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": profile}})
    sim.add_job("krea", KREA_ID, ["processing"])
    sim.add_job("creatify", CREATIFY_ID, ["running"])
    env = {"KREA_API_KEY": "sim-krea-key", "CREATIFY_API_KEY": "sim-creatify-key"}
    result = jobctl("get", f"krea:{KREA_ID}", f"creatify:{CREATIFY_ID}", "--config", str(path), env=env)
    assert result.code == 0, result.err
    assert sim.requests_for("krea")[0].headers["authorization"] == "Bearer sim-krea-key"
    creatify = sim.requests_for("creatify")[0].headers
    assert (creatify["x-api-id"], creatify["x-api-key"]) == ("sim-creatify-id", "sim-creatify-key")


def test_a_key_in_the_file_wins_over_the_env_var(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "krea", KREA_ID, env={"KREA_API_KEY": "from-the-environment"})
    assert result.code == 0, result.err
    assert sim.requests_for("krea")[0].headers["authorization"] == "Bearer sim-krea-key"


def test_env_vars_configure_providers_when_there_is_no_file(jobctl: Any) -> None:
    result = jobctl("providers", "--json", env={"KREA_API_KEY": "k-from-env", "CREATIFY_API_ID": "only-id"})
    assert result.code == 0, result.err
    rows = {row["name"]: row for row in json.loads(result.out)}
    assert {name: row["configured"] for name, row in rows.items()} == {
        "krea": True,
        "creatify": False,
        "unstructured": False,
        "gepetto": False,
        "aisquare": False,
    }
    assert rows["krea"]["base_url"] == "https://api.krea.ai"
    assert "k-from-env" not in result.out
    shown = json.loads(jobctl("config", "show", "--json").out)
    assert shown["providers"]["krea"] == {
        "api_key": "*** (from KREA_API_KEY)",
        "base_url": "https://api.krea.ai",
    }


def test_env_vars_configure_a_provider_the_profile_does_not_mention(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    path = write_config(tmp_path / "only-krea.yaml", {"profiles": {"default": {"krea": krea_entry(sim)}}})
    result = jobctl("providers", "--json", "--config", str(path), env={"GEPETTO_API_KEY": "g-from-env"})
    rows = {row["name"]: row for row in json.loads(result.out)}
    assert (rows["gepetto"]["configured"], rows["gepetto"]["base_url"]) == (
        True,
        "https://europe-west1-gepettoai.cloudfunctions.net",
    )
    assert rows["unstructured"]["configured"] is False


def test_a_missing_credential_names_provider_profile_file_and_variable_and_sends_nothing(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    path = write_config(
        tmp_path / "c.yaml", {"profiles": {"work": {"krea": {"base_url": sim.base_url("krea")}}}}
    )
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "krea", KREA_ID, "--config", str(path), "-p", "work")
    assert result.code == 2
    assert result.out == ""
    assert result.err_lines == [
        f"error: krea: no api_key in profile 'work' of {path}; "
        "set profiles.work.krea.api_key there or export KREA_API_KEY=..."
    ]
    assert_nothing_sent(sim)


def test_an_empty_env_var_is_a_missing_credential(sim: Simulator, tmp_path: Path, jobctl: Any) -> None:
    path = write_config(
        tmp_path / "c.yaml", {"profiles": {"default": {"krea": {"base_url": sim.base_url("krea")}}}}
    )
    result = jobctl("get", "krea", KREA_ID, "--config", str(path), env={"KREA_API_KEY": ""})
    assert result.code == 2
    assert "export KREA_API_KEY=..." in result.err
    assert_nothing_sent(sim)


def test_a_missing_second_creatify_credential_names_its_own_variable(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    entry = {"base_url": sim.base_url("creatify"), "api_key": "sim-creatify-key"}
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": {"creatify": entry}}})
    result = jobctl("get", "creatify", CREATIFY_ID, "--config", str(path))
    assert result.code == 2
    assert result.err_lines == [
        f"error: creatify: no api_id in profile 'default' of {path}; "
        "set profiles.default.creatify.api_id there or export CREATIFY_API_ID=..."
    ]
    assert_nothing_sent(sim)


def test_a_missing_credential_without_a_config_file_says_where_the_file_would_be(jobctl: Any) -> None:
    expected_file = app_dir_config(Path(os.environ["XDG_CONFIG_HOME"]))
    result = jobctl("get", "krea", KREA_ID)
    assert result.code == 2
    assert result.err_lines == [
        f"error: krea: no api_key: KREA_API_KEY is not set and there is no config file at {expected_file} "
        "for profile 'default'; export KREA_API_KEY=... or create the file with "
        "profiles.default.krea.api_key (see config.example.yaml)"
    ]


def test_a_provider_without_credentials_does_not_stop_the_others(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    profile = {"krea": krea_entry(sim), "gepetto": {"base_url": sim.base_url("gepetto")}}
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": profile}})
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", f"krea:{KREA_ID}", f"gepetto:{GEPETTO_ID}", "--json", "--config", str(path))
    assert result.code == 2
    assert [job["id"] for job in json.loads(result.out)] == [KREA_ID]
    assert result.err_lines == [
        f"error: gepetto: no api_key in profile 'default' of {path}; "
        "set profiles.default.gepetto.api_key there or export GEPETTO_API_KEY=..."
    ]
    assert sim.requests_for("gepetto") == []


# --- a broken file ------------------------------------------------------------------------


def test_broken_yaml_names_the_file_and_the_line(sim: Simulator, tmp_path: Path, jobctl: Any) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("profiles:\n  test:\n\tkrea: {}\n")
    result = jobctl("get", "krea", KREA_ID, "--config", str(path))
    assert result.code == 2
    assert result.err_lines == [
        f"error: {path} at line 3, column 1: found character '\\t' that cannot start any token; "
        "fix the YAML (see config.example.yaml)"
    ]
    assert_nothing_sent(sim)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "- a\n- b\n",
            "the top level must be a mapping with 'profiles:', not a list; see config.example.yaml",
        ),
        (
            "just words\n",
            "the top level must be a mapping with 'profiles:', not a string; see config.example.yaml",
        ),
        ("profiles: [test]\n", "'profiles' must be a mapping of profile names, not a list"),
        ("profiles:\n  test: [krea]\n", "profiles.test must be a mapping of providers, not a list"),
        (
            "profiles:\n  test:\n    krea: abc\n",
            "profiles.test.krea must be a mapping like {api_key: ...}, not a string",
        ),
        (
            "profiles:\n  test:\n    krea: {timeout: -1}\n",
            "profiles.test.krea.timeout must be a positive number, not -1",
        ),
        (
            "profiles:\n  test:\n    krea: {timeout: 0}\n",
            "profiles.test.krea.timeout must be a positive number, not 0",
        ),
        (
            "profiles:\n  test:\n    krea: {timeout: '30'}\n",
            "profiles.test.krea.timeout must be a positive number, not '30'",
        ),
        (
            "profiles:\n  test:\n    krea: {timeout: .nan}\n",
            "profiles.test.krea.timeout must be a positive number, not nan",
        ),
        (
            "profiles:\n  test:\n    krea: {timeout: .inf}\n",
            "profiles.test.krea.timeout must be a positive number, not inf",
        ),
        (
            "profiles:\n  test:\n    krea: {timeout: 1.0e+10}\n",
            "profiles.test.krea.timeout must be at most 86400 seconds (a day)",
        ),
        (
            "profiles:\n  test:\n    krea: {api_key: 1234}\n",
            "profiles.test.krea.api_key must be a string, not a number (quote it)",
        ),
        (
            "profiles:\n  test:\n    krea: {api_key: [a]}\n",
            "profiles.test.krea.api_key must be a string, not a list",
        ),
        ("default_profile: 3\nprofiles: {}\n", "default_profile must be a profile name (a string)"),
        (
            "profiles:\n  test:\n    krea: {api_key: abcd, base_url: 'ftp://x'}\n",
            "profiles.test.krea.base_url must look like https://host[:port][/prefix]",
        ),
        (
            "profiles:\n  test:\n    krea: {api_key: abcd, base_url: 'https://user:pw@x'}\n",
            "profiles.test.krea.base_url must not carry a query, fragment or user:password",
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_an_error_naming_file_and_key(
    text: str, problem: str, sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    path.chmod(0o600)
    result = jobctl("get", "krea", KREA_ID, "--config", str(path), "-p", "test")
    assert result.code == 2
    assert result.out == ""
    assert result.err_lines == [f"error: {path}: {problem}"]
    assert_nothing_sent(sim)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_an_empty_file_is_an_error_that_says_what_to_add(text: str, tmp_path: Path, jobctl: Any) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    result = jobctl("config", "check", "--config", str(path))
    assert result.code == 2
    assert result.err_lines == [
        f"error: {path} is empty; add a 'profiles:' mapping (see config.example.yaml) "
        "or delete the file to use environment variables"
    ]


def test_a_directory_instead_of_a_file_is_an_error(tmp_path: Path, jobctl: Any) -> None:
    result = jobctl("config", "check", "--config", str(tmp_path))
    assert result.code == 2
    assert result.err_lines == [
        f"error: {tmp_path} is a directory, not a config file; point --config at a .yaml file"
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_an_error_that_says_how_to_fix_it(tmp_path: Path, jobctl: Any) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("profiles: {}\n")
    path.chmod(0)
    result = jobctl("config", "check", "--config", str(path))
    assert result.code == 2
    assert result.err_lines == [
        f"error: cannot read {path}: permission denied; fix its permissions (chmod 600)"
    ]


def padded_config(path: Path, sim: Simulator, size: int) -> Path:
    """A valid profile for ``sim``, padded with YAML comments to ``size`` bytes."""
    head = f"profiles:\n  default:\n    krea: {{api_key: sim-krea-key, base_url: '{sim.base_url('krea')}'}}\n"
    line = "# " + "x" * 97 + "\n"
    body = head + line * ((size - len(head)) // len(line))
    path.write_text(body + "#" * (size - len(body) - 1) + "\n")
    path.chmod(0o600)
    assert path.stat().st_size == size
    return path


def test_a_config_file_over_1_mib_is_refused_in_one_line_before_it_is_parsed(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    path = padded_config(tmp_path / "c.yaml", sim, 1024 * 1024 + 1)
    refused = [
        f"error: {path} is larger than 1 MiB (1.0 MiB); not read: a config file is a few "
        "kilobytes of YAML (is --config or JOBCTL_CONFIG pointing at the right file?)"
    ]
    check = jobctl("config", "check", "--config", str(path))
    assert (check.code, check.out, check.err_lines) == (2, "", refused)
    got = jobctl("get", f"krea:{KREA_ID}", "--config", str(path))
    assert (got.code, got.out, got.err_lines) == (2, "", refused)
    assert_nothing_sent(sim)


def test_a_config_file_of_1_mib_exactly_is_read(sim: Simulator, tmp_path: Path, jobctl: Any) -> None:
    path = padded_config(tmp_path / "c.yaml", sim, 1024 * 1024)
    check = jobctl("config", "check", "--config", str(path))
    assert (check.code, check.err, check.lines) == (
        0,
        "",
        [f"ok: {path}, profile 'default': krea configured"],
    )


def test_a_python_object_tag_is_rejected_not_executed(tmp_path: Path, jobctl: Any) -> None:
    marker = tmp_path / "executed"
    path = tmp_path / "c.yaml"
    path.write_text(f"profiles: !!python/object/apply:os.system ['touch {marker}']\n")
    result = jobctl("config", "check", "--config", str(path))
    assert result.code == 2
    assert result.err_lines == [
        f"error: {path} at line 1, column 11: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system'; fix the YAML (see config.example.yaml)"
    ]
    assert not marker.exists()


# --- base URLs ---------------------------------------------------------------------------


def test_a_plain_http_base_url_for_a_remote_host_is_refused_and_nothing_is_sent(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    path = write_config(
        tmp_path / "c.yaml",
        {"profiles": {"default": {"krea": krea_entry(sim, base_url="http://api.krea.ai")}}},
    )
    result = jobctl("get", "krea", KREA_ID, "--config", str(path))
    assert result.code == 2
    assert result.err_lines == [
        f"error: {path}: profiles.default.krea.base_url uses http:// for a host that is not loopback; use https://"
    ]
    assert_nothing_sent(sim)


def test_a_plain_http_base_url_from_a_var_reference_is_checked_too(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    path = write_config(
        tmp_path / "c.yaml", {"profiles": {"default": {"krea": krea_entry(sim, base_url="${KREA_URL}")}}}
    )
    result = jobctl("get", "krea", KREA_ID, "--config", str(path), env={"KREA_URL": "http://10.0.0.8:8080"})
    assert result.code == 2
    assert result.err_lines == [
        f"error: {path}: profiles.default.krea.base_url uses http:// for a host that is not loopback; "
        "use https://"
    ]
    assert_nothing_sent(sim)


def test_a_bad_base_url_in_another_profile_does_not_stop_this_one(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, ["completed"])
    profiles = {
        "default": {"krea": krea_entry(sim)},
        "staging": {"krea": krea_entry(sim, base_url="http://staging.example.com")},
    }
    path = write_config(tmp_path / "c.yaml", {"profiles": profiles})
    assert jobctl("get", "krea", KREA_ID, "--config", str(path)).code == 0
    assert jobctl("config", "check", "--config", str(path)).code == 0
    staging = jobctl("config", "check", "--config", str(path), "-p", "staging")
    assert staging.code == 2
    assert staging.err_lines == [
        f"error: {path}: profiles.staging.krea.base_url uses http:// for a host that is not loopback; "
        "use https://"
    ]


def test_plain_http_to_localhost_is_allowed(sim: Simulator, tmp_path: Path, jobctl: Any) -> None:
    entry = krea_entry(sim, base_url=f"http://localhost:{sim.port}/krea")
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": {"krea": entry}}})
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "krea", KREA_ID, "--config", str(path))
    assert result.code == 0, result.err


@pytest.mark.parametrize("base_url", ["http://127.0.0.2:9", "http://[::1]:9/x", "https://api.krea.ai/v1"])
def test_loopback_http_and_any_https_base_urls_pass_the_check(
    base_url: str, tmp_path: Path, jobctl: Any
) -> None:
    entry = {"api_key": "abcd", "base_url": base_url}
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": {"krea": entry}}})
    result = jobctl("config", "check", "--config", str(path))
    assert (result.code, result.err) == (0, "")


# --- warnings ------------------------------------------------------------------------------


def test_unknown_names_warn_with_a_suggestion_and_are_ignored(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    path = write_config(
        tmp_path / "c.yaml",
        {
            "default_profile": "test",
            "profile": {},
            "profiles": {
                "test": {
                    "kraa": {"api_key": "abcd"},
                    "krea": {**krea_entry(sim), "api_kye": "x", "auth_scheme": "Token"},
                }
            },
        },
    )
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "krea", KREA_ID, "--json", "--config", str(path))
    assert result.code == 0
    assert result.err_lines == [
        f"warning: {path}: unknown top-level key 'profile' ignored (did you mean 'profiles'?)",
        f"warning: {path}: unknown provider 'kraa' in profiles.test ignored (did you mean 'krea'?)",
        f"warning: {path}: unknown key 'api_kye' in profiles.test.krea ignored (did you mean 'api_key'?)",
        f"warning: {path}: unknown key 'auth_scheme' in profiles.test.krea ignored",
    ]
    assert sim.requests_for("krea")[0].headers["authorization"] == "Bearer sim-krea-key"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_file_with_literal_keys_that_others_can_read_gets_a_warning(
    mode: int, sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": {"krea": krea_entry(sim)}}}, mode=mode)
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "krea", KREA_ID, "--config", str(path))
    assert result.code == 0
    assert result.err_lines == [
        f"warning: {path} holds API keys and is readable by other users; run: chmod 600 {path}"
    ]


def test_a_private_file_with_literal_keys_gets_no_warning(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": {"krea": krea_entry(sim)}}}, mode=0o600)
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "krea", KREA_ID, "--config", str(path))
    assert (result.code, result.err) == (0, "")


def test_a_readable_file_holding_only_var_references_gets_no_warning(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    entry = krea_entry(sim, api_key="${MY_KREA_TOKEN}")
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": {"krea": entry}}}, mode=0o644)
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "krea", KREA_ID, "--config", str(path), env={"MY_KREA_TOKEN": "sim-krea-key"})
    assert (result.code, result.err) == (0, "")


# --- config path | show | check ------------------------------------------------------------------


def test_config_path_prints_the_app_dir_file_even_when_it_does_not_exist(jobctl: Any) -> None:
    result = jobctl("config", "path")
    assert (result.code, result.lines) == (0, [str(app_dir_config(Path(os.environ["XDG_CONFIG_HOME"])))])


def test_config_path_prints_the_file_that_is_actually_read(
    sim: Simulator, jobctl: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = write_config(Path(os.environ["HOME"]) / "jobctl.yaml", {"profiles": {"default": {}}})
    monkeypatch.setenv("JOBCTL_CONFIG", "~/jobctl.yaml")
    assert json.loads(jobctl("config", "show", "--json").out)["file"] == str(real)
    assert jobctl("config", "path").lines == [str(real)]


def test_config_show_redacts_every_secret(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    result = jobctl("config", "show")
    assert result.code == 0, result.err
    port = sim.port
    assert result.lines == [
        f"file: {config_file}",
        "profile: test (from default_profile)",
        "providers:",
        "  krea:",
        "    api_key: '*** (in file)'",
        f"    base_url: http://127.0.0.1:{port}/krea",
        "  creatify:",
        "    api_id: '*** (in file)'",
        "    api_key: '*** (in file)'",
        f"    base_url: http://127.0.0.1:{port}/creatify",
        "  unstructured:",
        "    api_key: '*** (in file)'",
        f"    base_url: http://127.0.0.1:{port}/unstructured",
        "  gepetto:",
        "    api_key: '*** (in file)'",
        f"    base_url: http://127.0.0.1:{port}/gepetto",
        "  aisquare:",
        "    api_key: '*** (in file)'",
        f"    base_url: http://127.0.0.1:{port}/aisquare",
    ]
    json_result = jobctl("config", "show", "--json")
    for secret in SIM_SECRETS:
        assert secret not in result.out + result.err
        assert secret not in json_result.out + json_result.err


def test_config_show_names_var_references_and_whether_they_are_set(tmp_path: Path, jobctl: Any) -> None:
    profile = {
        "krea": {"api_key": "${KREA_TOKEN}"},
        "gepetto": {"api_key": "${GEPETTO_TOKEN}", "timeout": 5},
    }
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": profile}})
    result = jobctl("config", "show", "--json", "--config", str(path), env={"KREA_TOKEN": "secret-value-1"})
    assert result.code == 0, result.err
    assert json.loads(result.out)["providers"] == {
        "krea": {"api_key": "${KREA_TOKEN} (set)", "base_url": "https://api.krea.ai"},
        "gepetto": {
            "api_key": "${GEPETTO_TOKEN} (NOT SET)",
            "timeout": 5,
            "base_url": "https://europe-west1-gepettoai.cloudfunctions.net",
        },
    }
    assert "secret-value-1" not in result.out


def test_config_check_says_ok_and_lists_the_usable_providers(config_file: Path, jobctl: Any) -> None:
    result = jobctl("config", "check")
    assert (result.code, result.err) == (0, "")
    assert result.lines == [
        f"ok: {config_file}, profile 'test': krea, creatify, unstructured, gepetto, aisquare configured"
    ]


def test_config_check_exits_2_with_one_line_per_unusable_provider(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    profile = {
        "krea": krea_entry(sim),
        "gepetto": {"base_url": sim.base_url("gepetto")},
        "aisquare": {"api_key": "${AISQUARE_TOKEN}"},
    }
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": profile}})
    result = jobctl("config", "check", "--config", str(path))
    assert result.code == 2
    assert result.out == ""
    assert result.err_lines == [
        f"error: gepetto: no api_key in profile 'default' of {path}; "
        "set profiles.default.gepetto.api_key there or export GEPETTO_API_KEY=...",
        f"error: profiles.default.aisquare.api_key in {path} uses ${{AISQUARE_TOKEN}}, which is not set; "
        "export AISQUARE_TOKEN=... or write the value into the file",
    ]
    assert_nothing_sent(sim)


def test_config_check_without_a_file_lists_the_providers_the_environment_configures(jobctl: Any) -> None:
    expected_file = app_dir_config(Path(os.environ["XDG_CONFIG_HOME"]))
    result = jobctl("config", "check", env={"KREA_API_KEY": "k-from-env", "GEPETTO_API_KEY": "g-from-env"})
    assert (result.code, result.err) == (0, "")
    assert result.lines == [
        f"ok: no config file at {expected_file}: configured only through the environment: "
        "krea (KREA_API_KEY), gepetto (GEPETTO_API_KEY)"
    ]


def test_config_check_names_the_providers_configured_only_through_the_environment(
    sim: Simulator, config_file: Path, tmp_path: Path, jobctl: Any
) -> None:
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": {"krea": krea_entry(sim)}}})
    env = {"GEPETTO_API_KEY": "g-from-env", "CREATIFY_API_ID": "c-id-env", "CREATIFY_API_KEY": "c-key-env"}
    result = jobctl("config", "check", "--config", str(path), env=env)
    assert (result.code, result.err) == (0, "")
    assert result.lines == [
        f"ok: {path}, profile 'default': krea configured; configured only through the environment: "
        "creatify (CREATIFY_API_ID, CREATIFY_API_KEY), gepetto (GEPETTO_API_KEY)"
    ]


def test_config_check_exits_2_when_no_file_and_no_environment_configure_any_provider(jobctl: Any) -> None:
    expected_file = app_dir_config(Path(os.environ["XDG_CONFIG_HOME"]))
    result = jobctl("config", "check")
    assert (result.code, result.out) == (2, "")
    assert result.err_lines == [
        f"error: no provider is configured: no config file at {expected_file} and no provider key in the "
        "environment; export one (e.g. KREA_API_KEY=...) or create the file (see config.example.yaml)"
    ]


def test_config_check_exits_2_when_the_profile_in_use_configures_no_provider(
    tmp_path: Path, jobctl: Any
) -> None:
    path = write_config(
        tmp_path / "c.yaml", {"profiles": {"default": {}, "work": {"krea": {"api_key": "abcd"}}}}
    )
    result = jobctl("config", "check", "--config", str(path))
    assert (result.code, result.out) == (2, "")
    assert result.err_lines == [
        f"error: no provider is configured in profile 'default' of {path} (profiles in the file: work; "
        "choose one with --profile); add one under profiles.default (see config.example.yaml) "
        "or export its key (e.g. KREA_API_KEY=...)"
    ]
    assert jobctl("config", "check", "--config", str(path), "-p", "work").code == 0


def test_config_check_reports_a_bad_key_from_the_environment_for_a_provider_the_file_omits(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": {"krea": krea_entry(sim)}}})
    result = jobctl("config", "check", "--config", str(path), env={"GEPETTO_API_KEY": "gp-key-1234\r"})
    assert (result.code, result.out) == (2, "")
    assert result.err_lines == [
        "error: gepetto: api_key from the environment variable GEPETTO_API_KEY ends with a line break; "
        "remove the trailing \\r or \\n (was it copied from a file with Windows line endings?)"
    ]


# --- credentials a header cannot carry ------------------------------------------------------------

BAD_KEYS = [
    # (value, what the error says about it: never the value itself)
    (
        "sim-krea-key\r",
        "ends with a line break; remove the trailing \\r or \\n "
        "(was it copied from a file with Windows line endings?)",
    ),
    (
        "sim-krea-key\r\n",
        "ends with a line break; remove the trailing \\r or \\n "
        "(was it copied from a file with Windows line endings?)",
    ),
    ("sim krea-key", "contains whitespace at character 4; a key is one word, copy it again"),
    ("\tsim-krea-key", "contains whitespace at character 1; a key is one word, copy it again"),
    ("sim-krea-key\xa0", "contains whitespace at character 13; a key is one word, copy it again"),
    (
        "sim-kr\x1bea-key",
        "contains an invisible or control character (U+001B) at character 7, "
        "which an HTTP header cannot carry; copy it again",
    ),
    (
        "sim-\u200bkrea-key",
        "contains an invisible or control character (U+200B) at character 5, "
        "which an HTTP header cannot carry; copy it again",
    ),
    (
        "sim-krea-key\u2014",
        "contains a character outside Latin-1 at character 13, "
        "which an HTTP header cannot carry; copy it again",
    ),
]


def key_source(kind: str, path: Path, value: str) -> tuple[dict[str, Any], dict[str, str], str]:
    """(the krea entry, the environment, how the error names where the value came from)."""
    if kind == "file":
        return {"api_key": value}, {}, f"profiles.default.krea.api_key in {path}"
    if kind == "var":
        return (
            {"api_key": "${PASTED_KEY}"},
            {"PASTED_KEY": value},
            (f"profiles.default.krea.api_key in {path} (via ${{PASTED_KEY}})"),
        )
    return {}, {"KREA_API_KEY": value}, "the environment variable KREA_API_KEY"


@pytest.mark.parametrize("source", ["file", "var", "env"])
@pytest.mark.parametrize(("value", "problem"), BAD_KEYS, ids=[repr(v) for v, _ in BAD_KEYS])
def test_a_key_a_header_cannot_carry_is_a_config_error_that_never_shows_the_key(
    value: str, problem: str, source: str, sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    path = tmp_path / "c.yaml"
    entry, env, where = key_source(source, path, value)
    write_config(path, {"profiles": {"default": {"krea": {**entry, "base_url": sim.base_url("krea")}}}})
    for command in (["get", "krea", KREA_ID], ["config", "check"]):
        result = jobctl(*command, "--config", str(path), env=env)
        assert (result.code, result.out) == (2, "")
        assert result.err_lines == [f"error: krea: api_key from {where} {problem}"]
        assert "krea-key" not in result.err and "kr\x1bea" not in result.err
    assert_nothing_sent(sim)


@pytest.mark.parametrize(
    "scheme", ["Token\r\nX-Injected: 1", "Token abcd", "Tok\u200ben", "Bearer\n", "Tóken"]
)
def test_an_auth_scheme_that_is_not_one_plain_word_is_a_config_error(
    scheme: str, sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    entry = {"api_key": "sim-aisquare-key", "base_url": sim.base_url("aisquare"), "auth_scheme": scheme}
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": {"aisquare": entry}}})
    for command in (["get", "aisquare", "42"], ["config", "check"]):
        result = jobctl(*command, "--config", str(path))
        assert (result.code, result.out) == (2, "")
        assert result.err_lines == [
            f"error: aisquare: auth_scheme from profiles.default.aisquare.auth_scheme in {path} must be "
            "one word of letters, digits or !#$%&'*+-.^_`|~ (e.g. Bearer or Token)"
        ]
    shown = jobctl("config", "show", "--json", "--config", str(path))
    assert json.loads(shown.out)["providers"]["aisquare"]["auth_scheme"] == (
        "*** (not one word; see jobctl config check)"
    )
    listing = jobctl("providers", "--json", "--config", str(path))
    aisquare = next(row for row in json.loads(listing.out) if row["name"] == "aisquare")
    assert aisquare["auth"] == "Authorization: Bearer <api_key>"
    assert scheme not in shown.out + listing.out
    assert_nothing_sent(sim)


# --- credentials inside a base_url ----------------------------------------------------------------

URL_WITH_CREDENTIALS = "https://alice:hunter2-pw@api.krea.ai/v1?token=tok-123456&region=eu"
URL_SECRETS = ("hunter2-pw", "alice:hunter2", "tok-123456", "hunter2%2Dpw")


def test_credentials_in_a_base_url_are_masked_in_every_listing_and_error(tmp_path: Path, jobctl: Any) -> None:
    entry = {"api_key": "krea-key-1234", "base_url": URL_WITH_CREDENTIALS}
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": {"krea": entry}}})
    masked = "https://***@api.krea.ai/v1?token=***&region=***"
    problem = "must not carry a query, fragment or user:password"

    show = jobctl("config", "show", "--json", "--config", str(path))
    assert show.code == 0, show.err
    assert json.loads(show.out)["providers"]["krea"] == {
        "api_key": "*** (in file)",
        "base_url": masked,
        "problem": f"base_url {problem}",
    }
    show_text = jobctl("config", "show", "--config", str(path))
    assert f"    base_url: {masked}" in show_text.lines
    listing = jobctl("providers", "--json", "--config", str(path))
    krea = next(row for row in json.loads(listing.out) if row["name"] == "krea")
    assert (krea["configured"], krea["base_url"]) == (False, masked)
    assert krea["problem"] == f"{path}: profiles.default.krea.base_url {problem}"
    text = jobctl("providers", "--config", str(path))
    assert (
        text.lines[0]
        == f"krea          not configured  built-in  {masked}  (Authorization: Bearer <api_key>)"
    )
    failed = jobctl("get", "krea", KREA_ID, "--debug", "--config", str(path))
    assert (failed.code, failed.err_lines) == (
        2,
        [f"error: {path}: profiles.default.krea.base_url {problem}"],
    )
    check = jobctl("config", "check", "--config", str(path))
    assert (check.code, check.err_lines) == (2, failed.err_lines)
    for result in (show, show_text, listing, text, failed, check):
        for secret in URL_SECRETS:
            assert secret not in result.out + result.err


# --- duplicate keys -------------------------------------------------------------------------------

DUPLICATES = [
    (
        "profiles:\n  default:\n    krea: {api_key: abcd}\n    krea: {api_key: efgh}\n",
        "at line 4, column 5: duplicate key 'krea' (first at line 3, column 5)",
    ),
    (
        "profiles:\n  default:\n    krea: {api_key: abcd, timeout: 5, api_key: efgh}\n",
        "at line 3, column 39: duplicate key 'api_key' (first at line 3, column 12)",
    ),
    (
        "profiles: {}\ndefault_profile: a\nprofiles: {}\n",
        "at line 3, column 1: duplicate key 'profiles' (first at line 1, column 1)",
    ),
]


@pytest.mark.parametrize("loader", ["C", "pure"])
@pytest.mark.parametrize(("text", "problem"), DUPLICATES)
def test_a_key_given_twice_is_a_config_error_naming_the_line(
    text: str, problem: str, loader: str, tmp_path: Path, jobctl: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    if loader == "pure":
        monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    elif not yaml.__with_libyaml__:
        pytest.skip("PyYAML without libyaml")
    path = tmp_path / "c.yaml"
    path.write_text(text)
    result = jobctl("config", "check", "--config", str(path), env={"KREA_API_KEY": "k-from-env"})
    assert (result.code, result.out) == (2, "")
    assert result.err_lines == [f"error: {path} {problem}; fix the YAML (see config.example.yaml)"]
    # A merge key followed by an override is how YAML merges are meant to work: no error.
    path.write_text(
        "base: &b {api_key: abcd}\nprofiles:\n  default:\n    krea:\n      <<: *b\n      api_key: efgh\n"
    )
    path.chmod(0o600)
    merged = jobctl("config", "check", "--config", str(path))
    assert merged.code == 0, merged.err


def test_the_readme_lists_the_provider_options_from_their_one_declaration() -> None:
    from jobctl.providers.profile_keys import OPTIONS, options_table

    readme = [line.strip() for line in (Path(__file__).resolve().parent.parent / "README.md").open()]
    start = readme.index("| option | default | meaning |")
    rows = readme[start : start + 2 + len(OPTIONS)]
    assert rows == options_table().splitlines()
