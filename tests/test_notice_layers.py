"""The notifications layer is mechanics the workflow calls: it imports no workflow service,
patches nothing on import, and reports outcomes through the caller's hook, in its own
transaction."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from models.base import id_of
from models.notification import NoticeStatus, Notification
from notifications.ledger import NoticeEvent, send_notice
from notifications.sender import DeliveryResult
from tests.support import drain_outbox
from workflow.db import read_session, write_session

PROJECT = Path(__file__).resolve().parent.parent
# workflow.languages: the locale settings (tags, catalogues, Babel formats), no service.
CORE_MODULES = {
    "workflow.config",
    "workflow.db",
    "workflow.clock",
    "workflow.errors",
    "workflow.languages",
}


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def test_notifications_import_no_workflow_module_but_the_core_ones():
    offending = {}
    for path in sorted((PROJECT / "notifications").glob("*.py")):
        imported = _imported_modules(path)
        outside = {
            m
            for m in imported
            if m.split(".")[0] in {"workflow", "flows", "api"}
            and not any(m == core or m.startswith(f"{core}.") for core in CORE_MODULES)
            and m != "workflow"
        }
        if outside:
            offending[path.name] = sorted(outside)
    assert offending == {}
    assert not (PROJECT / "notifications" / "notices.py").exists()  # who is told: workflow's


def test_flows_send_through_the_workflow_service_not_the_ledger():
    for path in sorted((PROJECT / "flows").glob("*.py")):
        imported = _imported_modules(path)
        assert "notifications.ledger.send_notice" not in imported, path.name
        assert "notifications.sender" not in {m.rsplit(".", 1)[0] for m in imported}, path.name


def test_importing_the_sender_patches_nothing_until_it_is_installed():
    script = (
        "import logging, ssl\n"
        "import apprise.plugins.email.base as email\n"
        "handlers = list(logging.getLogger('apprise').handlers)\n"
        "import notifications.sender as sender\n"
        "assert email.ssl is ssl, 'patched on import'\n"
        "assert logging.getLogger('apprise').handlers == handlers, 'log taken on import'\n"
        "sender.install(); sender.install()\n"
        "assert email.ssl is not ssl\n"
        "assert len(logging.getLogger('apprise').handlers) == len(handlers) + 1\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


class Delivers:
    def send(self, **_: object) -> DeliveryResult:
        return DeliveryResult(True)


def _queued_acknowledgement(as_user, monkeypatch) -> tuple[Notification, str]:
    """A complaint routed, its notices queued but not sent yet."""
    with monkeypatch.context() as patched:
        patched.setattr("flows.send_notices.deliver_notice", lambda _notice_id: None)
        reference = as_user("sales").log_complaint()["reference"]
        drain_outbox()
    with read_session() as session:
        return session.exec(
            select(Notification).where(Notification.kind == "acknowledgement")
        ).one(), reference


def test_the_ledger_reports_the_outcome_in_its_own_transaction(as_user, settings, monkeypatch):
    notice, _ = _queued_acknowledgement(as_user, monkeypatch)
    assert notice.status is NoticeStatus.pending

    def hook_that_fails(session, notice, outcome):
        raise RuntimeError("the caller's side failed")

    with pytest.raises(RuntimeError):
        send_notice(id_of(notice), Delivers(), on_outcome=hook_that_fails)
    with read_session() as session:
        # Rolled back together: the ledger did not record a send its caller did not record.
        assert session.get_one(Notification, notice.id).status is NoticeStatus.sending

    seen = []
    with write_session() as session:
        session.get_one(Notification, notice.id).status = NoticeStatus.pending
        session.commit()
    send_notice(id_of(notice), Delivers(), on_outcome=lambda s, n, o: seen.append((n.id, o.event)))
    assert seen == [(notice.id, NoticeEvent.sent)]


def test_a_sent_acknowledgement_stops_its_clock_through_the_workflow_service(
    as_user, settings, monkeypatch, mailbox
):
    notice, reference = _queued_acknowledgement(as_user, monkeypatch)
    sales = as_user("sales")
    assert sales.record(reference)["acknowledged_at"] is None
    from workflow.delivery import deliver_notice

    assert deliver_notice(id_of(notice)) is NoticeStatus.sent
    record = sales.record(reference)
    assert record["acknowledged_at"] is not None
    ack_clock = next(d for d in record["deadlines"] if d["step"] == "acknowledgement")
    assert ack_clock["met_at"] is not None
    assert [h["action"] for h in record["history"]].count("notice_sent") == 1
