"""The recurrence rule: how many complaints on one product and defect code within how many
days raise an alert. A change is a new row; the one it replaces is stamped ``superseded_at``
and kept, so the table is the trail of every change (as deadline policies keep theirs)."""

from sqlmodel import Session, col, select

from models.recurrence import (
    DEFAULT_THRESHOLD,
    DEFAULT_WINDOW_DAYS,
    RecurrenceRuleBase,
    RecurrenceRuleChange,
    RecurrenceRulePublic,
    RecurrenceRuleRow,
)
from workflow.clock import utcnow
from workflow.rules import Action, require_permission
from workflow.transitions import Actor


def _rule_in_force(session: Session) -> RecurrenceRuleRow | None:
    return session.exec(
        select(RecurrenceRuleRow)
        .where(col(RecurrenceRuleRow.superseded_at).is_(None))
        .order_by(col(RecurrenceRuleRow.id).desc())
    ).first()


def current_rule(session: Session) -> RecurrenceRuleBase:
    row = _rule_in_force(session)
    if row is None:
        return RecurrenceRuleBase(threshold=DEFAULT_THRESHOLD, window_days=DEFAULT_WINDOW_DAYS)
    return RecurrenceRuleBase(threshold=row.threshold, window_days=row.window_days)


def rule_public(session: Session) -> RecurrenceRulePublic:
    row = _rule_in_force(session)
    rule = current_rule(session)
    source = f"changed by {row.changed_by} at {row.changed_at.isoformat()}" if row else "default"
    return RecurrenceRulePublic(
        threshold=rule.threshold, window_days=rule.window_days, source=source
    )


def change_rule(
    session: Session, *, change: RecurrenceRuleChange, actor: Actor
) -> RecurrenceRulePublic:
    require_permission(actor.role, Action.manage_recurrence_rule)
    now = utcnow()
    previous = _rule_in_force(session)
    if previous is not None:
        previous.superseded_at = now
        session.add(previous)
    session.add(
        RecurrenceRuleRow.model_validate(
            change, update={"changed_by": actor.name, "changed_at": now}
        )
    )
    session.commit()
    return rule_public(session)


def rule_history(session: Session) -> list[RecurrenceRuleRow]:
    return list(session.exec(select(RecurrenceRuleRow).order_by(col(RecurrenceRuleRow.id))))
