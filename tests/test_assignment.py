"""Assignment: a task handed to a named colleague of its department (who is mailed), put back
in the queue, every handover in the history; and who may not, told in words."""

from collections.abc import Iterator

import pytest

from models.enums import Department, Role
from models.user import UserCreate
from tests.support import Api, drain_outbox, first_assessment, mail_body
from tests.test_customer_language import subject_of
from workflow.db import write_session
from workflow.user_accounts import deactivate_by_username
from workflow.users import create_user

COLLEAGUE_PASSWORD = "bench-tester-2026"


def add_colleague(username: str, department: Department, role: Role) -> None:
    with write_session() as session:
        create_user(
            session,
            user_create=UserCreate(
                username=username,
                full_name=f"{username.title()} Colleague",
                email=f"{username}@example.com",
                role=role,
                department=department,
                password=COLLEAGUE_PASSWORD,
            ),
        )


@pytest.fixture
def quentin(base_url: str) -> Iterator[Api]:
    """A second person of quality, signed in."""
    add_colleague("quentin", Department.quality, Role.quality)
    client = Api(base_url, "quentin", password=COLLEAGUE_PASSWORD)
    yield client
    client.close()


def user_id(api: Api) -> int:
    return int(api.get("/auth/me").json()["id"])


def quality_task(as_user) -> tuple[str, int]:
    reference = as_user("sales").log_complaint()["reference"]
    drain_outbox()  # routed: quality's assessment task is open
    return reference, as_user("quality").open_task(reference, "quality_assessment")["id"]


def handovers(api: Api, reference: str) -> list[dict]:
    kinds = ("task_assigned", "task_unclaimed")
    return [e for e in api.record(reference)["history"] if e["action"] in kinds]


def test_a_task_is_assigned_reassigned_and_unclaimed_with_history_and_mail(
    as_user, quentin, mailbox
):
    reference, task_id = quality_task(as_user)
    manager, quality = as_user("manager"), as_user("quality")
    drain_outbox()
    assigned = manager.post(
        f"/tasks/{task_id}/assign",
        json={"user_id": user_id(quality), "reason": "Quinn knows the P-200 seals."},
    )
    assert assigned.status_code == 200, assigned.text
    assert (assigned.json()["status"], assigned.json()["assignee"]) == ("claimed", "quality")
    drain_outbox()
    (mail,) = [m for m in mailbox.snapshot() if "gave you task" in subject_of(m)]
    assert mail["To"] == "quality@example.com"
    assert subject_of(mail) == f"manager gave you task {task_id} on {reference}"
    assert "Quinn knows the P-200 seals." in mail_body(mail)

    handed_on = quality.post(f"/tasks/{task_id}/assign", json={"user_id": user_id(quentin)})
    assert handed_on.status_code == 200, handed_on.text
    assert handed_on.json()["assignee"] == "quentin"
    assert quality.post(f"/tasks/{task_id}/claim").status_code == 409  # not theirs now
    drain_outbox()
    assert [m["To"] for m in mailbox.snapshot() if "gave you task" in subject_of(m)] == [
        "quality@example.com",
        "quentin@example.com",
    ]

    back = quentin.post(f"/tasks/{task_id}/unclaim", json={"reason": "Away until Monday."})
    assert back.status_code == 200, back.text
    assert (back.json()["status"], back.json()["assignee"]) == ("open", None)
    entries = handovers(manager, reference)
    assert [
        (
            e["actor"],
            e["action"],
            e["changes"].get("assignee"),
            e["changes"]["from"],
            e["reason"],
        )
        for e in entries
    ] == [
        ("manager", "task_assigned", "quality", None, "Quinn knows the P-200 seals."),
        ("quality", "task_assigned", "quentin", "quality", None),
        ("quentin", "task_unclaimed", None, "quentin", "Away until Monday."),
    ]
    assert quality.post(f"/tasks/{task_id}/claim").status_code == 200  # in the queue again


def test_the_new_assignee_does_the_work_the_old_one_no_longer_may(as_user, quentin):
    _, task_id = quality_task(as_user)
    quality = as_user("quality")
    assert quality.post(f"/tasks/{task_id}/claim").status_code == 200
    assert quality.post(f"/tasks/{task_id}/assign", json={"user_id": user_id(quentin)}).is_success
    assessment = first_assessment()
    refused = quality.post(f"/tasks/{task_id}/assessment", json=assessment)
    assert refused.status_code == 409
    assert "claimed by someone else" in refused.text
    recorded = quentin.post(f"/tasks/{task_id}/assessment", json=assessment)
    assert recorded.status_code == 200, recorded.text


def test_who_may_not_hand_a_task_on_and_to_whom_it_cannot_go_is_said_in_words(as_user, quentin):
    reference, task_id = quality_task(as_user)
    manager, quality, technical = as_user("manager"), as_user("quality"), as_user("technical")
    path = f"/tasks/{task_id}/assign"
    to_quality = {"user_id": user_id(quality)}
    quentin_id = user_id(quentin)

    outsider = technical.post(path, json=to_quality)
    assert outsider.status_code == 403
    assert "belongs to quality" in outsider.text
    unclaimed = quentin.post(path, json=to_quality)
    assert unclaimed.status_code == 403
    assert "only a manager of quality hands out an unclaimed task" in unclaimed.text
    wrong_department = manager.post(path, json={"user_id": user_id(technical)})
    assert wrong_department.status_code == 422
    assert "technical does not work in quality" in wrong_department.text
    nobody = manager.post(path, json={"user_id": 999_999})
    assert nobody.status_code == 422
    assert "there is no user 999999" in nobody.text
    assert manager.post(path, json={"user_id": 0}).status_code == 422
    assert manager.post(path, json={}).status_code == 422

    assert quality.post(f"/tasks/{task_id}/claim").status_code == 200
    again = manager.post(path, json=to_quality)
    assert again.status_code == 409
    assert "quality's already" in again.text
    not_theirs = quentin.post(f"/tasks/{task_id}/unclaim", json={"reason": "Mine now."})
    assert not_theirs.status_code == 409
    assert "claimed by someone else" in not_theirs.text
    assert quality.post(f"/tasks/{task_id}/unclaim", json={}).status_code == 422
    assert quality.post(f"/tasks/{task_id}/unclaim", json={"reason": ""}).status_code == 422
    assert handovers(manager, reference) == []  # nothing refused was written

    with write_session() as session:
        deactivate_by_username(session, username="quentin", by="manager", reason="Left.")
    gone = manager.post(path, json={"user_id": quentin_id})
    assert gone.status_code == 422
    assert "quentin is no longer active" in gone.text


def test_a_manager_puts_anyones_task_back_and_an_open_one_cannot_be_unclaimed(as_user):
    reference, task_id = quality_task(as_user)
    manager, quality = as_user("manager"), as_user("quality")
    path = f"/tasks/{task_id}/unclaim"
    not_claimed = manager.post(path, json={"reason": "Back to the queue."})
    assert not_claimed.status_code == 409
    assert "is not claimed" in not_claimed.text
    assert quality.post(f"/tasks/{task_id}/claim").status_code == 200
    back = manager.post(path, json={"reason": "Quinn is ill."})
    assert back.status_code == 200, back.text
    assert back.json()["status"] == "open"
    (entry,) = handovers(manager, reference)
    assert (entry["actor"], entry["changes"]["from"], entry["reason"]) == (
        "manager",
        "quality",
        "Quinn is ill.",
    )
