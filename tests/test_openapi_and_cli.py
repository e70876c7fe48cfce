"""The API describes itself; the operator's command line works on a real database."""

import os
import subprocess
import sys

import httpx
from typer.testing import CliRunner

from api.main import app as api_app
from tests.support import drain_outbox
from workflow.cli import app as cli

BODIES = [
    "ComplaintCreate",
    "QualityResult",
    "SalesReview",
    "CustomerResponse",
    "LinkReview",
    "RecurrenceRuleChange",
    "ActionCreate",
    "ActionCancellation",
    "ActionDone",
    "EffectivenessVerdict",
    "ProductCreate",
    "ProductUpdate",
    "ProductMapping",
    "DefectCodeCreate",
    "CauseCodeCreate",
    "CodeUpdate",
    "CompanyProfileUpdate",
]


def test_every_operation_has_a_summary_a_description_and_error_answers():
    spec = api_app.openapi()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            assert operation.get("description"), (method, path)
            if path != "/api/v1/auth/token" and not path.startswith("/api/v1/health"):
                assert operation.get("security"), f"{method} {path} needs a token"


def test_request_bodies_carry_examples():
    schemas = api_app.openapi()["components"]["schemas"]
    for name in BODIES:
        assert schemas[name].get("examples"), name


def test_cli_creates_a_user_and_shows_a_complaint(settings, as_user):
    runner = CliRunner()
    created = runner.invoke(
        cli,
        [
            "create-user",
            "pat",
            "production",
            "pat@example.com",
            "--department",
            "production",
            "--password",
            "s3cret-passphrase",
        ],
    )
    assert created.exit_code == 0, created.output
    assert "created pat (production)" in created.output
    again = runner.invoke(
        cli, ["create-user", "pat", "production", "pat@example.com", "--password", "x1234"]
    )
    assert again.exit_code == 1
    assert "cannot create pat: user pat exists" in again.output

    reference = as_user("sales").log_complaint()["reference"]
    drain_outbox()
    shown = runner.invoke(cli, ["show", reference])
    assert shown.exit_code == 0, shown.output
    assert f'"reference": "{reference}"' in shown.output
    assert '"status": "with_quality"' in shown.output
    missing = runner.invoke(cli, ["show", "CMP-1999-000001"])
    assert missing.exit_code == 1
    assert "no complaint CMP-1999-000001" in missing.output


def test_cli_explains_refused_input_in_words(settings):
    runner = CliRunner()
    refused = runner.invoke(
        cli, ["create-user", "pat", "production", "not-an-address", "--password", "s3cret-pass"]
    )
    assert refused.exit_code == 1
    assert "email: value is not a valid email address" in refused.output
    assert "pydantic.dev" not in refused.output
    policy = runner.invoke(cli, ["set-policy", "no_such_step", "5", "--reason", "Because."])
    assert policy.exit_code == 1
    assert "step: Input should be" in policy.output
    assert "pydantic.dev" not in policy.output


def test_cli_says_so_when_no_notice_is_held(settings):
    listed = CliRunner().invoke(cli, ["held-notices"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.strip() == "none: no notice is held"


def _sweep_runs(api_url: str) -> int:
    answer = httpx.post(
        f"{api_url}/flow_runs/filter",
        json={"flows": {"name": {"any_": ["sweep-deadlines"]}}, "limit": 200},
        timeout=30,
    )
    answer.raise_for_status()
    return len(answer.json())


def test_cli_sweep_runs_on_the_configured_prefect_server(settings, prefect_api_url):
    """With PREFECT_API_URL unset, Prefect would start a temporary server of its own."""
    before = _sweep_runs(prefect_api_url)
    environment = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    environment["CW_PREFECT_API_URL"] = prefect_api_url
    done = subprocess.run(
        [sys.executable, "-m", "workflow.cli", "sweep"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"clocks"' in done.stdout
    assert _sweep_runs(prefect_api_url) == before + 1
