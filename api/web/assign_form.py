"""What the task page and the review page show to hand a task on: the colleagues it may go to,
and whether the person reading may assign or unclaim it (asked of the rules)."""

from typing import Any

from sqlmodel import Session, col, select

from models.complaint import Complaint
from models.task import Task
from models.user import User
from workflow.away import deputy_while_away
from workflow.facts import facts_of, task_facts
from workflow.rules import Actor, available_handover_actions
from workflow.rules.assignment import assignee_refusal
from workflow.rules.review import ReviewFacts, available_review_handover_actions


def colleagues_for(session: Session, task: Task) -> list[User]:
    """Active people who work in the task's department, but not the one who holds it."""
    users = session.exec(
        select(User)
        .where(User.department == task.department, col(User.is_active).is_(True))
        .order_by(col(User.full_name))
    )
    return [
        u
        for u in users
        if u.id != task.assignee_id
        and assignee_refusal(
            username=u.username,
            role=u.role,
            department=u.department.value if u.department else None,
            is_active=u.is_active,
            task_department=task.department,
        )
        is None
    ]


def assignment_page_context(
    session: Session, task: Task, complaint: Complaint, actor: Actor
) -> dict[str, Any]:
    handover = available_handover_actions(facts_of(complaint), actor, task_facts(task))
    colleagues = colleagues_for(session, task) if handover else []
    return {"handover": handover, "colleagues": colleagues, "deputies": _away(session, colleagues)}


def review_assignment_context(
    session: Session, task: Task, review: ReviewFacts, actor: Actor
) -> dict[str, Any]:
    handover = available_review_handover_actions(task_facts(task), review, actor)
    colleagues = colleagues_for(session, task) if handover else []
    return {"handover": handover, "colleagues": colleagues, "deputies": _away(session, colleagues)}


def _away(session: Session, colleagues: list[User]) -> dict[int, str]:
    """The colleagues away now, and the deputy a task assigned to them goes to."""
    deputies = {}
    for person in colleagues:
        deputy = deputy_while_away(session, person)
        if deputy is not None and person.id is not None:
            deputies[person.id] = deputy.full_name
    return deputies
