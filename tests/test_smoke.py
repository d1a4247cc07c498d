from __future__ import annotations

from conftest import KREA_ID

from jobctl.sim import Simulator


def test_get_one_krea_job_prints_its_status_as_json(sim: Simulator, config_file, jobctl) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "krea", KREA_ID, "--json")
    assert result.code == 0, result.err
    assert '"status":"running"' in result.out
    assert '"provider_status":"processing"' in result.out
