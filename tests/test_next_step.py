"""The complaint page's header names the viewer's next step, chosen among what the rules
allow them now: their own task first, then one they may claim, then the complaint's action."""

import re

from models.enums import TaskKind
from tests.support import drain_outbox
from tests.test_web_pages import browser  # noqa: F401  (the signed-in page client)
from workflow.rules import Action, NextStep, TaskOffer, next_step


def test_your_own_task_comes_before_one_to_claim_and_before_the_complaints_action():
    claimable = TaskOffer(
        3, TaskKind.subtask, frozenset({Action.claim_task, Action.answer_subtask})
    )
    mine = TaskOffer(7, TaskKind.quality_assessment, frozenset({Action.return_result}))
    waiting = frozenset({Action.resume_after_customer})
    assert next_step(waiting, [claimable, mine]) == NextStep(
        "Work on: Quality assessment and investigation", task_id=7
    )
    assert next_step(waiting, [claimable]) == NextStep("Claim: Sub-task", task_id=3)
    assert next_step(waiting, []) == NextStep(
        "Record the customer's answer: the clocks run again", anchor="actions-h"
    )
    assert next_step(frozenset({Action.read_customer_link}), []) is None


def _next_step_of(page: str) -> str:
    match = re.search(r'<dd id="next-step">(.*?)</dd>', page, re.S)
    assert match, page[:500]
    return match.group(1)


def test_each_role_sees_its_own_next_step_on_the_complaint_page(as_user, browser):  # noqa: F811
    reference = as_user("sales").log_complaint()["reference"]
    drain_outbox()  # routed: quality's assessment is open
    task = as_user("quality").open_task(reference, "quality_assessment")
    page = f"/complaints/{reference}"
    quality = _next_step_of(browser("quality").client.get(page).text)
    assert f'href="/tasks/{task["id"]}"' in quality
    assert "Claim: Quality assessment and investigation" in quality
    assert as_user("quality").post(f"/tasks/{task['id']}/claim").status_code == 200
    claimed = _next_step_of(browser("quality").client.get(page).text)
    assert "Work on: Quality assessment" in claimed
    sales = _next_step_of(browser("sales").client.get(page).text)
    assert sales == "Nothing for you now: it is with quality."
