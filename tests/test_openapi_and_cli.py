"""The API describes itself; the operator's command line works on a real database."""

from typer.testing import CliRunner

from api.main import app as api_app
from tests.support import drain_outbox
from workflow.cli import app as cli

BODIES = ["ComplaintCreate", "QualityResult", "SalesReview", "CustomerResponse"]


def test_every_operation_has_a_summary_a_description_and_error_answers():
    spec = api_app.openapi()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            assert operation.get("description"), (method, path)
            if path not in ("/api/v1/auth/token", "/api/v1/health"):
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
