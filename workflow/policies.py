"""Deadline policies: the defaults of the rules module, overridden by admins.

An override is a new row; the row it replaces is stamped ``superseded_at`` and kept, so the
table is the history of every change. Clocks copy their policy when they start, so a change
applies to steps started afterwards, never retroactively.
"""

from sqlmodel import Session, col, select

from models.deadline import DeadlinePolicyRow, PolicyChange, PolicyPublic
from workflow.clock import utcnow
from workflow.deadlines import forget_policies, overrides
from workflow.rules import DEFAULT_POLICIES, Action, require_permission
from workflow.transitions import Actor


def list_policies(session: Session) -> list[PolicyPublic]:
    current = overrides(session)
    policies = []
    for key in sorted(set(DEFAULT_POLICIES) | set(current), key=str):
        step, kind, severity = key
        row = current.get(key)
        if row is not None:
            source = f"override by {row.changed_by} at {row.changed_at.isoformat()}"
            policy = PolicyPublic.model_validate(
                row, from_attributes=True, update={"source": source}
            )
        else:
            default = DEFAULT_POLICIES[key]
            policy = PolicyPublic(
                step=step,
                kind=kind,
                severity=severity,
                hours=default.hours,
                business_time=default.business_time,
                reminder_fraction=default.reminder_fraction,
                escalation_interval_hours=default.escalation_interval_hours,
                source="default",
            )
        policies.append(policy)
    return policies


def change_policy(session: Session, *, change: PolicyChange, actor: Actor) -> DeadlinePolicyRow:
    require_permission(actor.role, Action.manage_policies)
    now = utcnow()
    previous = overrides(session).get((change.step, change.kind, change.severity))
    if previous is not None:
        previous.superseded_at = now
        session.add(previous)
    row = DeadlinePolicyRow.model_validate(
        change, update={"changed_by": actor.name, "changed_at": now}
    )
    session.add(row)
    session.commit()
    forget_policies(session)
    return row


def policy_history(session: Session) -> list[DeadlinePolicyRow]:
    return list(session.exec(select(DeadlinePolicyRow).order_by(col(DeadlinePolicyRow.changed_at))))
