"""A contract review as people read it: its terms, the departments' tasks and answers, the
meeting, the decision, and what the reader may do now (asked of the rules)."""

from sqlmodel import Session, col, select

from models.customer import Customer, CustomerPublic
from models.enums import ReviewKind
from models.review import (
    Contract,
    Review,
    ReviewAnswer,
    ReviewAnswerPublic,
    ReviewMeeting,
    ReviewMeetingPublic,
    ReviewPublic,
    ReviewTaskPublic,
)
from models.task import Task
from models.user import User
from workflow.reviews import (
    answer_for_customer,
    facts_of_review,
    round_conditions,
)
from workflow.rules import Actor
from workflow.rules.review import (
    DEPARTMENT_SCOPE,
    available_review_actions,
    questions_for,
)


def _usernames(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(User.id, User.username).where(col(User.id).in_(wanted)))
    return {i: name for i, name in rows if i is not None}


def _tasks(session: Session, review: Review, names: dict[int, str]) -> list[ReviewTaskPublic]:
    tasks = session.exec(select(Task).where(Task.case_id == review.id).order_by(col(Task.id)))
    return [
        ReviewTaskPublic(
            id=task.id or 0,
            department=task.department,
            round=task.result.get("round"),
            status=task.status.value,
            assignee=names.get(task.assignee_id or -1),
            due_at=task.due_at,
            questions={q.key: q.text for q in questions_for(task.department)},
            scope=DEPARTMENT_SCOPE.get(task.department, ""),
        )
        for task in tasks
    ]


def review_public(session: Session, review: Review, actor: Actor) -> ReviewPublic:
    answers = list(
        session.exec(
            select(ReviewAnswer)
            .where(ReviewAnswer.review_id == review.id)
            .order_by(col(ReviewAnswer.round), col(ReviewAnswer.id))
        )
    )
    meetings = list(session.exec(select(ReviewMeeting).where(ReviewMeeting.review_id == review.id)))
    task_rows = session.exec(select(Task.assignee_id).where(Task.case_id == review.id)).all()
    names = _usernames(
        session,
        {
            review.created_by_id,
            *task_rows,
            *(a.answered_by_id for a in answers),
            *(m.recorded_by_id for m in meetings),
        },
    )
    customer = session.get(Customer, review.customer_id)
    contract = session.get(Contract, review.contract_id) if review.contract_id else None
    answer = answer_for_customer(session, review)
    accepted = answer not in (None, "declined")
    is_change = review.kind is ReviewKind.change
    return ReviewPublic.model_validate(
        review,
        from_attributes=True,
        update={
            "customer": CustomerPublic.model_validate(customer, from_attributes=True),
            "created_by": names.get(review.created_by_id, "?"),
            "customer_answer": answer,
            "conditions": round_conditions(session, review) if answer != "declined" else [],
            "contract_reference": contract.reference if contract and accepted else None,
            "changes_contract": contract.reference if contract and is_change else None,
            "tasks": _tasks(session, review, names),
            "answers": [
                ReviewAnswerPublic.model_validate(
                    a,
                    from_attributes=True,
                    update={"answered_by": names.get(a.answered_by_id, "?")},
                )
                for a in answers
            ],
            "meetings": [
                ReviewMeetingPublic.model_validate(
                    m,
                    from_attributes=True,
                    update={"recorded_by": names.get(m.recorded_by_id, "?")},
                )
                for m in meetings
            ],
            "available_actions": [
                a.value for a in available_review_actions(facts_of_review(session, review), actor)
            ],
        },
    )
