"""Dependencies point one way: api and flows -> workflow services -> rules and models.

The rules are pure (no I/O, no FastAPI, no Prefect, no database), and the tables never import
the rules: the vocabulary both use lives in ``models/enums.py``.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _within(module: str, allowed: tuple[str, ...]) -> bool:
    return any(module == a or module.startswith(f"{a}.") for a in allowed)


PROJECT = ("api", "flows", "models", "notifications", "workflow", "bench", "tests")
RULES_MAY_IMPORT = ("models.enums", "workflow.errors", "workflow.rules")


@pytest.mark.parametrize("path", _files("workflow/rules"), ids=lambda p: p.name)
def test_the_rules_import_only_the_vocabulary_and_the_domain_errors(path):
    ours = {m for m in imported_modules(path) if _within(m, PROJECT)}
    assert {m for m in ours if not _within(m, RULES_MAY_IMPORT)} == set()
    outside = {m.split(".")[0] for m in imported_modules(path) if not _within(m, PROJECT)}
    # Pure values only: no I/O, no clock, no database.
    pure = {"dataclasses", "enum", "__future__", "typing", "collections", "datetime", "decimal"}
    assert outside <= {*pure, "types"}, outside


@pytest.mark.parametrize("path", _files("models"), ids=lambda p: p.name)
def test_the_tables_never_import_the_rules_the_services_or_the_api(path):
    forbidden = ("workflow.rules", "api", "flows")
    found = {m for m in imported_modules(path) if _within(m, forbidden)}
    for service in ("workflow.complaints", "workflow.tasks", "workflow.routing"):
        found |= {m for m in imported_modules(path) if _within(m, (service,))}
    assert found == set()


def test_the_vocabulary_imports_nothing_of_the_project():
    ours = {m for m in imported_modules(ROOT / "models/enums.py") if _within(m, PROJECT)}
    assert ours == set()
