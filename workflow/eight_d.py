"""The complaint file arranged as an 8D report: D0 symptom and emergency response, D1 team,
D2 problem, D3 containment, D4 root cause, D5 chosen corrective actions, D6 implemented and
verified, D7 preventive actions, D8 closure. Reads the record; changes nothing."""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from models.base import id_of
from models.complaint import Complaint
from models.customer import Customer
from models.eight_d import (
    ActionLine,
    CheckLine,
    CodeLine,
    D0Symptom,
    D2Problem,
    D3Containment,
    D4RootCause,
    D5Chosen,
    D6Verified,
    D7Preventive,
    D8Closure,
    EightDReport,
    TeamMember,
)
from models.enums import ActionKind, ActionStatus, HistoryAction
from models.history import HistoryEntry
from models.quality import CapaAction, CauseCode, DefectCode, EffectivenessCheck, Product
from models.resolution import Resolution
from models.task import Task
from models.user import User
from workflow.clock import utcnow
from workflow.complaints import get_complaint
from workflow.history import list_history


@dataclass
class Record:
    """The rows of one complaint the report is arranged from."""

    complaint: Complaint
    tasks: list[Task]
    actions: list[CapaAction]
    checks: list[EffectivenessCheck]
    resolution: Resolution | None
    history: list[HistoryEntry]
    users: dict[int, User] = field(default_factory=dict)


def eight_d_report(session: Session, reference: str) -> EightDReport:
    record = _load(session, get_complaint(session, reference))
    complaint = record.complaint
    customer = session.get(Customer, complaint.customer_id)
    lines = [_action_line(a, record.users) for a in record.actions]
    return EightDReport(
        reference=complaint.reference,
        customer=_customer_name(customer),
        generated_at=utcnow(),
        d0_symptom=_d0(record, lines),
        d1_team=_team(record),
        d2_problem=_d2(session, record),
        d3_containment=D3Containment(
            recorded=_containments(record), actions=_of_kind(lines, ActionKind.containment)
        ),
        d4_root_cause=D4RootCause(
            root_cause=record.resolution.root_cause if record.resolution else None,
            cause_code=_cause(session, complaint),
        ),
        d5_corrective_actions=D5Chosen(
            planned=record.resolution.corrective_action if record.resolution else None,
            actions=_chosen(_of_kind(lines, ActionKind.corrective)),
        ),
        d6_implemented_and_verified=D6Verified(
            implemented=[
                a for a in _of_kind(lines, ActionKind.corrective) if a.status is ActionStatus.done
            ],
            effectiveness_checks=[_check_line(c) for c in record.checks],
        ),
        d7_preventive_actions=D7Preventive(
            planned=record.resolution.preventive_action if record.resolution else None,
            actions=_chosen(_of_kind(lines, ActionKind.preventive)),
        ),
        d8_closure=_d8(record),
    )


def _load(session: Session, complaint: Complaint) -> Record:
    complaint_id = id_of(complaint)
    record = Record(
        complaint=complaint,
        tasks=list(
            session.exec(select(Task).where(Task.case_id == complaint_id).order_by(col(Task.id)))
        ),
        actions=list(
            session.exec(
                select(CapaAction)
                .where(CapaAction.complaint_id == complaint_id)
                .order_by(col(CapaAction.round), col(CapaAction.id))
            )
        ),
        checks=list(
            session.exec(
                select(EffectivenessCheck)
                .where(EffectivenessCheck.complaint_id == complaint_id)
                .order_by(col(EffectivenessCheck.round))
            )
        ),
        resolution=session.exec(
            select(Resolution)
            .where(Resolution.complaint_id == complaint_id)
            .order_by(col(Resolution.revision).desc())
        ).first(),
        history=list_history(session, complaint_id),
    )
    ids = {t.assignee_id for t in record.tasks} | {t.completed_by_id for t in record.tasks}
    ids |= {a.owner_id for a in record.actions}
    known = [i for i in ids if i is not None]
    if known:
        users = session.exec(select(User).where(col(User.id).in_(known))).all()
        record.users = {id_of(u): u for u in users}
    return record


def _customer_name(customer: Customer | None) -> str:
    if customer is None:
        return "?"
    return f"{customer.name}, {customer.company}" if customer.company else customer.name


def _action_line(action: CapaAction, users: dict[int, User]) -> ActionLine:
    owner = users.get(action.owner_id) if action.owner_id is not None else None
    return ActionLine(
        id=id_of(action),
        round=action.round,
        kind=action.kind,
        description=action.description,
        owner_department=action.owner_department,
        owner=owner.username if owner else None,
        due_at=action.due_at,
        status=action.status,
        evidence=action.evidence,
        closed_by=action.closed_by,
        closed_at=action.closed_at,
        cancel_reason=action.cancel_reason,
    )


def _of_kind(lines: list[ActionLine], kind: ActionKind) -> list[ActionLine]:
    return [a for a in lines if a.kind is kind]


def _chosen(lines: list[ActionLine]) -> list[ActionLine]:
    """What was decided: cancelled actions are in the file, not in the plan."""
    return [a for a in lines if a.status is not ActionStatus.cancelled]


def _check_line(check: EffectivenessCheck) -> CheckLine:
    return CheckLine.model_validate(check, from_attributes=True)


def _milestones(record: Record, action: HistoryAction) -> list[HistoryEntry]:
    """Quality's milestones as recorded (the history keeps them; the task's result is its
    final answer)."""
    return [e for e in record.history if e.action == action]


def _containments(record: Record) -> list[str]:
    recorded = [
        str(e.changes.get("containment", ""))
        for e in _milestones(record, HistoryAction.containment_recorded)
    ]
    if record.resolution and record.resolution.containment:
        recorded.append(record.resolution.containment)
    return [text for i, text in enumerate(recorded) if text and text not in recorded[:i]]


def _d0(record: Record, lines: list[ActionLine]) -> D0Symptom:
    complaint = record.complaint
    response = _containments(record) + [
        f"{a.description} ({a.owner_department.value}, {a.status.value})"
        for a in _chosen(_of_kind(lines, ActionKind.containment))
    ]
    return D0Symptom(
        symptom=complaint.description,
        severity=complaint.severity,
        received_at=complaint.received_at,
        emergency_response=response,
    )


def _team(record: Record) -> list[TeamMember]:
    """Everyone who did something on the complaint after it was logged, in order of first
    contribution (the system's flows are not people)."""
    done: dict[str, list[str]] = defaultdict(list)
    for entry in record.history:
        if entry.actor.startswith("flow:") or entry.actor in ("system", "customer"):
            continue
        what = entry.action.replace("_", " ")
        if what not in done[entry.actor]:
            done[entry.actor].append(what)
    by_name = {u.username: u for u in record.users.values()}
    return [
        TeamMember(
            name=name,
            full_name=by_name[name].full_name if name in by_name else None,
            role=by_name[name].role if name in by_name else None,
            department=by_name[name].department if name in by_name else None,
            contributions=contributions,
        )
        for name, contributions in done.items()
    ]


def _d2(session: Session, record: Record) -> D2Problem:
    complaint = record.complaint
    entries = _milestones(record, HistoryAction.first_assessment_recorded)
    entry = entries[-1] if entries else None
    assessment = entry.changes if entry else {}
    resolution = record.resolution
    valid = assessment.get("valid", resolution.valid if resolution else None)
    investigated = assessment.get("investigate", resolution.investigate if resolution else None)
    reason = assessment.get("no_investigation_reason") or (
        resolution.no_investigation_reason if resolution else None
    )
    product = session.get(Product, complaint.product_id) if complaint.product_id else None
    return D2Problem(
        customer_words=complaint.description,
        product=complaint.product,
        catalogue_part_number=product.part_number if product else None,
        lot_number=complaint.lot_number,
        serial_number=complaint.serial_number,
        order_reference=complaint.order_reference,
        quantity_affected=complaint.quantity_affected,
        valid=valid,
        investigated=investigated,
        no_investigation_reason=reason,
        defect_code=_defect(session, complaint),
        assessed_by=entry.actor if entry else (resolution.decided_by if resolution else None),
        assessed_at=entry.at if entry else (resolution.decided_at if resolution else None),
    )


def _defect(session: Session, complaint: Complaint) -> CodeLine | None:
    if complaint.defect_code_id is None:
        return None
    code = session.get(DefectCode, complaint.defect_code_id)
    return CodeLine(code=code.code, label=code.label, group=code.family) if code else None


def _cause(session: Session, complaint: Complaint) -> CodeLine | None:
    if complaint.cause_code_id is None:
        return None
    code = session.get(CauseCode, complaint.cause_code_id)
    return CodeLine(code=code.code, label=code.label, group=code.category.value) if code else None


def _d8(record: Record) -> D8Closure:
    complaint = record.complaint
    resolution = record.resolution
    return D8Closure(
        customer_told=resolution.customer_summary if resolution else None,
        approved_by=resolution.approved_by if resolution else None,
        resolved_at=complaint.resolved_at,
        closed_at=complaint.closed_at,
        customer_accepted=complaint.customer_accepted,
        quality_record_complete_at=complaint.quality_record_complete_at,
        quality_record_complete=complaint.quality_record_complete_at is not None,
    )
