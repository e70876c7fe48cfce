"""A person away names a deputy: tasks assigned to them go to the deputy, their reminders reach
the deputy too, and the deputy may finish the tasks they hold (controlled clock)."""

from sqlmodel import select

from models.notification import NoticeKind, Notification
from tests.support import drain_outbox, freeze_at, quality_result, sweep
from tests.test_assignment import quentin, user_id
from tests.test_deadlines import berlin
from workflow.db import read_session

__all__ = ["quentin"]


def reminder_recipients() -> list[str]:
    with read_session() as session:
        rows = session.exec(
            select(Notification.recipient).where(Notification.kind == NoticeKind.reminder)
        )
        return sorted(rows)


def away(api, until: str | None, deputy_id: int | None = None):
    return api.put("/auth/me/away", json={"until": until, "deputy_id": deputy_id})


def test_the_deputy_of_an_away_colleague_gets_the_reminder_the_task_and_finishes_it(
    as_user,
    quentin,
):
    freeze_at(berlin(2026, 11, 23, 9, 0))  # a Monday
    sales, quality, manager = as_user("sales"), as_user("quality"), as_user("manager")
    reference = sales.log_complaint(severity="major")["reference"]
    drain_outbox()
    task_id = quality.open_task(reference, "quality_assessment")["id"]
    assert quentin.post(f"/tasks/{task_id}/claim").status_code == 200
    before = quality.post(f"/tasks/{task_id}/complete", json=quality_result())
    assert before.status_code == 409  # quentin's, and quentin is here

    gone = away(quentin, "2026-11-27", user_id(quality))
    assert gone.status_code == 200, gone.text
    assert (gone.json()["away_until"], gone.json()["deputy_id"]) == (
        "2026-11-27",
        user_id(quality),
    )
    freeze_at(berlin(2026, 11, 23, 16, 0))  # past 75 % of the first assessment's time
    sweep()
    assert reminder_recipients() == ["quality@example.com", "quentin@example.com"]
    done = quality.post(f"/tasks/{task_id}/complete", json=quality_result())
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done"

    other = sales.log_complaint()["reference"]
    drain_outbox()
    other_task = quality.open_task(other, "quality_assessment")["id"]
    assigned = manager.post(f"/tasks/{other_task}/assign", json={"user_id": user_id(quentin)})
    assert assigned.status_code == 200, assigned.text
    assert (assigned.json()["assignee"], assigned.json()["deputy_for"]) == ("quality", "quentin")
    (entry,) = [e for e in manager.record(other)["history"] if e["action"] == "task_assigned"]
    assert (entry["changes"]["assignee"], entry["changes"]["deputy_for"]) == (
        "quality",
        "quentin",
    )


def test_a_deputy_who_cannot_stand_in_is_refused_in_words_and_back_clears_it(
    as_user,
    quentin,
):
    freeze_at(berlin(2026, 11, 23, 9, 0))
    quality, technical = as_user("quality"), as_user("technical")
    refusals = {
        "does not work in your department": away(quentin, "2026-11-27", user_id(technical)),
        "you cannot be your own deputy": away(quentin, "2026-11-27", user_id(quentin)),
        "name the colleague who stands in": away(quentin, "2026-11-27"),
        "has passed": away(quentin, "2026-11-20", user_id(quality)),
        "there is no user 999999": away(quentin, "2026-11-27", 999_999),
    }
    for words, answer in refusals.items():
        assert answer.status_code == 422, (words, answer.text)
        assert words in answer.text, answer.text
    assert away(quality, "2026-11-25", user_id(quentin)).status_code == 200
    busy = away(quentin, "2026-11-27", user_id(quality))
    assert busy.status_code == 422
    assert "quality is away too" in busy.text
    back = away(quality, None)
    assert back.status_code == 200, back.text
    assert (back.json()["away_until"], back.json()["deputy_id"]) == (None, None)
    assert away(quentin, "2026-11-27", user_id(quality)).status_code == 200
