"""The customer's rating of a closed complaint: taken once, from the status page, written to
the complaint's history; a low score tells the quality managers."""

from dataclasses import replace

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models.base import id_of
from models.complaint import Complaint
from models.enums import HistoryAction
from models.satisfaction import SatisfactionAnswer, SatisfactionResponse
from workflow.clock import utcnow
from workflow.errors import RuleViolation
from workflow.facts import facts_of
from workflow.history import record_history
from workflow.notices import alert_quality_managers_of_low_score
from workflow.rules import Action, Actor, ComplaintFacts, require_complaint_action
from workflow.transitions import lock_complaint

LOW_SCORES = frozenset({1, 2})
ALREADY_RATED = "you have rated this complaint already: thank you"


def rating_of(session: Session, complaint_id: int) -> SatisfactionResponse | None:
    return session.exec(
        select(SatisfactionResponse).where(SatisfactionResponse.complaint_id == complaint_id)
    ).first()


def rating_facts(session: Session, complaint: Complaint) -> ComplaintFacts:
    """The complaint's facts with whether its customer has rated it (what the survey asks)."""
    return replace(facts_of(complaint), rated=rating_of(session, id_of(complaint)) is not None)


def record_rating(
    session: Session, *, reference: str, answer: SatisfactionAnswer, actor: Actor
) -> SatisfactionResponse:
    """Once per complaint and only once it is closed (RuleViolation otherwise: a 409)."""
    complaint = lock_complaint(session, reference)
    require_complaint_action(Action.rate_satisfaction, rating_facts(session, complaint), actor)
    rating = SatisfactionResponse(
        complaint_id=id_of(complaint),
        score=answer.score,
        solved=answer.solved,
        comment=answer.comment,
        answered_at=utcnow(),
    )
    session.add(rating)
    figures = {"score": answer.score, "solved": answer.solved, "comment": answer.comment}
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.rate_satisfaction,
        # The customer's words are personal data: kept apart from the sealed entry.
        changes={
            "score": answer.score,
            "solved": answer.solved,
            "customer_comment": answer.comment,
        },
    )
    if answer.score in LOW_SCORES:
        alert_quality_managers_of_low_score(session, complaint, figures)
    try:
        session.commit()
    except IntegrityError as error:
        # A concurrent rating of the same complaint committed first (the unique complaint_id).
        session.rollback()
        raise RuleViolation(ALREADY_RATED) from error
    return rating
