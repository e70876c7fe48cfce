"""Every deployment of prefect.yaml is watched by the guard that crashes dead runs holding a
slot (flows/stale_runs.py): its flow has a longest expected run time."""

import importlib
from pathlib import Path

import yaml

from workflow.config import DEFAULT_FLOW_EXPECTED_SECONDS

PREFECT_YAML = Path(__file__).resolve().parent.parent / "prefect.yaml"


def test_every_deployed_flow_has_an_expected_run_time_so_the_guard_watches_it():
    deployments = yaml.safe_load(PREFECT_YAML.read_text())["deployments"]
    names = []
    for deployment in deployments:
        path, function = deployment["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        names.append(getattr(module, function).name)
    assert "read-mailbox" in names
    assert [n for n in names if n not in DEFAULT_FLOW_EXPECTED_SECONDS] == []
