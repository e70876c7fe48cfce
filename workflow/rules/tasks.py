"""Tasks as data: what each kind of task is for, its clocks, what may be done on it, and who
works and reads which queue."""

from dataclasses import dataclass

from models.enums import Department, Step, TaskKind, TaskStatus
from workflow.errors import NotAllowed
from workflow.rules.permissions import (
    DEPARTMENT_WORKERS,
    Action,
    Actor,
    may,
)

OPEN_TASK_STATUSES = frozenset({TaskStatus.open, TaskStatus.claimed})
CUSTOMER_CONTACT = Department.sales  # owns the acknowledgement and the reply to the customer
SUBTASK_DEPARTMENTS = (Department.technical, Department.production, Department.procurement)
# Who may answer an inquiry: sales, or the department sales passes it to.
INQUIRY_DEPARTMENTS = (Department.sales, Department.quality, Department.technical)
# The customer notice that, once given (mailed, phoned or recorded by sales), meets the
# acknowledgement clock and sets the complaint's acknowledgement, once.
ACKNOWLEDGING_NOTICE = "acknowledgement"


@dataclass(frozen=True)
class TaskDefinition:
    kind: TaskKind
    label: str
    main_step: Step  # the clock the task is due by
    milestone_steps: tuple[Step, ...]  # clocks of steps recorded before the task is done
    actions: frozenset[Action]  # what may be done on a task of this kind
    completions: frozenset[Action]  # the actions among them that finish it
    department: Department | None  # None: chosen when the task is opened
    answer_kind: str  # the ``kind`` of the body that completes it
    # Quality-loop work outlives the customer's answer: done while the complaint is closed.
    outlives_complaint: bool = False


TASK_DEFINITIONS: dict[TaskKind, TaskDefinition] = {
    d.kind: d
    for d in (
        TaskDefinition(
            TaskKind.quality_assessment,
            "Quality assessment and investigation",
            Step.quality_result,
            (Step.first_assessment, Step.containment),
            frozenset(
                {
                    Action.claim_task,
                    Action.record_assessment,
                    Action.record_containment,
                    Action.open_subtask,
                    Action.cancel_subtask,
                    Action.return_result,
                }
            ),
            frozenset({Action.return_result}),
            Department.quality,
            "quality_assessment",
        ),
        TaskDefinition(
            TaskKind.sales_review,
            "Sales review of quality's result",
            Step.sales_review,
            (),
            frozenset({Action.claim_task, Action.approve_result, Action.send_back_to_quality}),
            frozenset({Action.approve_result, Action.send_back_to_quality}),
            Department.sales,
            "sales_review",
        ),
        TaskDefinition(
            TaskKind.subtask,
            "Sub-task",
            Step.subtask,
            (),
            frozenset({Action.claim_task, Action.answer_subtask}),
            frozenset({Action.answer_subtask}),
            None,
            "subtask_answer",
        ),
        TaskDefinition(
            TaskKind.capa_action,
            "Corrective or preventive action",
            Step.capa_action,
            (),
            frozenset({Action.claim_task, Action.complete_action}),
            frozenset({Action.complete_action}),
            None,  # the action's owner department
            "action_done",
            outlives_complaint=True,
        ),
        TaskDefinition(
            TaskKind.effectiveness_check,
            "Effectiveness check of the corrective actions",
            Step.effectiveness_check,
            (),
            frozenset({Action.claim_task, Action.record_effectiveness}),
            frozenset({Action.record_effectiveness}),
            Department.quality,
            "effectiveness",
            outlives_complaint=True,
        ),
        TaskDefinition(
            TaskKind.answer_inquiry,
            "Answer the customer's inquiry",
            Step.inquiry_answer,
            (),
            frozenset({Action.claim_task, Action.forward_inquiry, Action.answer_inquiry}),
            frozenset({Action.answer_inquiry}),
            Department.sales,
            "inquiry_answer",
        ),
        TaskDefinition(
            TaskKind.triage_mail,
            "Triage a complaint made from a mail",
            Step.mail_triage,
            (),
            frozenset({Action.claim_task, Action.triage_mail}),
            frozenset({Action.triage_mail}),
            Department.sales,
            "triage",
        ),
        # Outlives the complaint: the closing and the invitation are phoned once it is closed.
        TaskDefinition(
            TaskKind.call_customer,
            "Call the customer and tell them the notice",
            Step.customer_call,
            (),
            frozenset({Action.claim_task, Action.record_call}),
            frozenset({Action.record_call}),
            CUSTOMER_CONTACT,
            "call_record",
            outlives_complaint=True,
        ),
        # A contract review's department answers for its part (workflow/reviews.py).
        TaskDefinition(
            TaskKind.department_review,
            "Review of a contract or order for your department",
            Step.department_review,
            (),
            frozenset({Action.claim_task, Action.answer_review}),
            frozenset({Action.answer_review}),
            None,  # one task per department concerned
            "department_review",
        ),
    )
}

TASK_MAIN_STEPS = frozenset(d.main_step for d in TASK_DEFINITIONS.values())
# The steps of the tasks that hold the complaint (not sub-tasks, not the quality loop's work
# after the answer): its next due date.
COMPLAINT_DUE_STEPS = frozenset(
    d.main_step
    for d in TASK_DEFINITIONS.values()
    if d.department is not None and not d.outlives_complaint
)

# The milestone each recording action meets (its clock stops when it is recorded).
MILESTONE_ACTIONS: dict[Action, Step] = {
    Action.record_assessment: Step.first_assessment,
    Action.record_containment: Step.containment,
}


def task_clock_steps(kind: TaskKind) -> tuple[Step, ...]:
    definition = TASK_DEFINITIONS[kind]
    return (definition.main_step, *definition.milestone_steps)


def is_finished(status: TaskStatus) -> bool:
    return status not in OPEN_TASK_STATUSES


def works_in(actor: Actor, department: Department) -> bool:
    """Department workers act only on their own department's tasks."""
    return actor.role in DEPARTMENT_WORKERS and actor.department == department.value


def may_read_task(actor: Actor, department: Department) -> bool:
    return may(actor.role, Action.read_any_queue) or works_in(actor, department)


def require_task_reader(actor: Actor, task_id: int, department: Department) -> None:
    if not may_read_task(actor, department):
        raise NotAllowed(f"task {task_id} belongs to {department.value}")


def queue_scope(actor: Actor, department: Department | None) -> Department | None:
    """Which department's queue the actor reads: workers their own, overseers any (None: all)."""
    if may(actor.role, Action.read_any_queue):
        return department
    if actor.role not in DEPARTMENT_WORKERS or actor.department is None:
        raise NotAllowed(f"role {actor.role} has no task queue")
    own = Department(actor.department)
    if department not in (None, own):
        raise NotAllowed(f"{actor.name} may not read the {department.value} queue")
    return own


def subtask_department_refusal(department: Department) -> str | None:
    if department in SUBTASK_DEPARTMENTS:
        return None
    names = ", ".join(d.value for d in SUBTASK_DEPARTMENTS)
    return f"sub-tasks go to {names}"


def inquiry_department_refusal(
    department: Department, current: Department | None = None
) -> str | None:
    if department is current:
        return f"the inquiry is with {current.value} already"
    if department in INQUIRY_DEPARTMENTS:
        return None
    names = ", ".join(d.value for d in INQUIRY_DEPARTMENTS)
    return f"inquiries are answered by {names}"
