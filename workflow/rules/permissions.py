"""Who may do what: the actions of people and of the system, and the roles allowed each."""

from dataclasses import dataclass
from enum import StrEnum

from models.enums import Role
from workflow.errors import NotAllowed


class Action(StrEnum):
    """Everything a person or the system may do to a complaint, its tasks or the system."""

    log_complaint = "log_complaint"
    read_complaints = "read_complaints"
    read_customer_link = "read_customer_link"
    route_to_quality = "route_to_quality"
    close_as_feedback = "close_as_feedback"
    record_acknowledgement = "record_acknowledgement"
    claim_task = "claim_task"
    record_assessment = "record_assessment"
    record_containment = "record_containment"
    open_subtask = "open_subtask"
    answer_subtask = "answer_subtask"
    cancel_subtask = "cancel_subtask"
    return_result = "return_result"
    approve_result = "approve_result"
    send_back_to_quality = "send_back_to_quality"
    resolve = "resolve"
    record_acceptance = "record_acceptance"
    reopen = "reopen"
    wait_for_customer = "wait_for_customer"
    resume_after_customer = "resume_after_customer"
    correct_complaint = "correct_complaint"
    withdraw = "withdraw"
    mark_duplicate = "mark_duplicate"
    read_task_queue = "read_task_queue"
    read_any_queue = "read_any_queue"
    read_review_queue = "read_review_queue"
    read_overdue = "read_overdue"
    read_reports = "read_reports"
    manage_policies = "manage_policies"
    read_policies = "read_policies"
    manage_calendar = "manage_calendar"
    release_notices = "release_notices"
    retry_events = "retry_events"
    verify_history = "verify_history"
    manage_users = "manage_users"
    manage_products = "manage_products"
    manage_codes = "manage_codes"
    map_product = "map_product"
    open_action = "open_action"
    complete_action = "complete_action"
    cancel_action = "cancel_action"
    record_effectiveness = "record_effectiveness"
    review_related = "review_related"
    read_quality_reports = "read_quality_reports"
    manage_recurrence_rule = "manage_recurrence_rule"
    read_dossier = "read_dossier"
    read_register = "read_register"
    handle_held_mail = "handle_held_mail"
    erase_personal_data = "erase_personal_data"
    close_without_answer = "close_without_answer"
    rate_satisfaction = "rate_satisfaction"
    log_feedback = "log_feedback"
    route_inquiry = "route_inquiry"
    forward_inquiry = "forward_inquiry"
    answer_inquiry = "answer_inquiry"
    read_feedback = "read_feedback"
    mark_feedback_read = "mark_feedback_read"
    edit_customer = "edit_customer"
    comment = "comment"
    triage_mail = "triage_mail"
    route_untriaged = "route_untriaged"
    record_call = "record_call"
    assign_task = "assign_task"
    unclaim_task = "unclaim_task"
    edit_company_profile = "edit_company_profile"
    # Contract and order review (rules/review.py)
    start_review = "start_review"
    read_reviews = "read_reviews"
    answer_review = "answer_review"
    ask_customer_about_review = "ask_customer_about_review"
    record_customer_answer = "record_customer_answer"
    record_order_confirmation = "record_order_confirmation"
    add_review_document = "add_review_document"
    complete_review_round = "complete_review_round"
    renegotiate_review = "renegotiate_review"
    accept_review = "accept_review"
    decline_review = "decline_review"
    record_review_meeting = "record_review_meeting"
    approve_review = "approve_review"
    reject_review = "reject_review"
    withdraw_review = "withdraw_review"
    read_contracts = "read_contracts"
    record_delivery = "record_delivery"
    change_contract = "change_contract"
    report_contract_progress = "report_contract_progress"


SYSTEM = "system"  # actor role of the flows
CUSTOMER = "customer"  # actor role of a customer answering on their status page

STAFF_ROLES = frozenset(Role)
DEPARTMENT_WORKERS = frozenset(
    {Role.sales, Role.quality, Role.technical, Role.production, Role.procurement}
)
OVERSEERS = frozenset({Role.manager, Role.general_manager, Role.admin})
QUEUE_WORKERS = DEPARTMENT_WORKERS - {Role.sales}  # sales' queue is the review queue

PERMISSIONS: dict[Action, frozenset[str]] = {
    Action.log_complaint: frozenset({Role.sales, Role.admin}),
    Action.read_complaints: STAFF_ROLES,
    Action.read_customer_link: frozenset({Role.sales, Role.admin}),
    Action.record_acknowledgement: frozenset({Role.sales}),
    Action.claim_task: DEPARTMENT_WORKERS,
    Action.record_assessment: frozenset({Role.quality}),
    Action.record_containment: frozenset({Role.quality}),
    Action.open_subtask: frozenset({Role.quality}),
    Action.cancel_subtask: frozenset({Role.quality}),
    Action.answer_subtask: QUEUE_WORKERS,
    Action.return_result: frozenset({Role.quality}),
    Action.approve_result: frozenset({Role.sales}),
    Action.send_back_to_quality: frozenset({Role.sales}),
    Action.record_acceptance: frozenset({Role.sales, CUSTOMER}),
    Action.reopen: frozenset({Role.sales, CUSTOMER}),
    Action.wait_for_customer: frozenset({Role.sales, Role.quality}),
    # The customer answers on their status page; sales or quality record an answer given
    # otherwise (by phone, by mail).
    Action.resume_after_customer: frozenset({Role.sales, Role.quality, CUSTOMER}),
    Action.correct_complaint: frozenset({Role.sales, Role.quality}),
    Action.withdraw: frozenset({Role.sales, Role.quality}),
    Action.mark_duplicate: frozenset({Role.sales, Role.quality}),
    Action.read_task_queue: DEPARTMENT_WORKERS | OVERSEERS,
    Action.read_any_queue: OVERSEERS,
    Action.read_review_queue: frozenset({Role.sales}),
    Action.read_overdue: OVERSEERS,
    Action.read_reports: OVERSEERS,
    Action.manage_policies: frozenset({Role.admin}),
    Action.manage_calendar: frozenset({Role.admin}),
    Action.read_policies: OVERSEERS,  # managers see the policies and their history, read-only
    Action.release_notices: frozenset({Role.admin}),
    Action.retry_events: frozenset({Role.admin}),
    Action.verify_history: frozenset({Role.admin}),
    Action.manage_users: frozenset({Role.admin}),
    Action.manage_products: frozenset({Role.quality, Role.admin}),
    Action.manage_codes: frozenset({Role.quality, Role.admin}),
    Action.map_product: frozenset({Role.quality}),
    Action.open_action: frozenset({Role.quality}),
    Action.complete_action: DEPARTMENT_WORKERS,  # the owner's department, on its task
    Action.cancel_action: frozenset({Role.quality}),
    Action.record_effectiveness: frozenset({Role.quality}),
    Action.review_related: frozenset({Role.quality}),
    Action.read_quality_reports: OVERSEERS | {Role.quality},
    Action.manage_recurrence_rule: frozenset({Role.manager, Role.admin}),
    # Whoever may read a complaint may print its file; the register lists every customer's
    # complaints at once, so it goes to those who answer auditors and customers for them.
    Action.read_dossier: STAFF_ROLES,
    Action.read_register: OVERSEERS | {Role.sales, Role.quality},
    Action.handle_held_mail: frozenset({Role.sales}),
    Action.erase_personal_data: frozenset({Role.admin}),
    Action.route_to_quality: frozenset({SYSTEM}),
    Action.close_as_feedback: frozenset({SYSTEM}),
    Action.resolve: frozenset({SYSTEM}),
    Action.close_without_answer: frozenset({SYSTEM}),
    Action.rate_satisfaction: frozenset({CUSTOMER}),
    # Praise, suggestions and inquiries: technical service and quality hear them too.
    Action.log_feedback: frozenset({Role.sales, Role.technical, Role.quality, Role.admin}),
    Action.route_inquiry: frozenset({SYSTEM}),
    Action.forward_inquiry: frozenset({Role.sales}),
    Action.answer_inquiry: frozenset({Role.sales, Role.quality, Role.technical}),
    Action.read_feedback: OVERSEERS | {Role.quality},
    Action.mark_feedback_read: frozenset({Role.quality, Role.manager}),
    # Sales keep the customer's contact details, language and time zone; admins correct them.
    Action.edit_customer: frozenset({Role.sales, Role.admin}),
    # Staff talk inside the record, in any state: the quality loop outlives the answer.
    Action.comment: STAFF_ROLES,
    Action.triage_mail: frozenset({Role.sales}),
    Action.route_untriaged: frozenset({SYSTEM}),
    Action.record_call: frozenset({Role.sales}),  # the customer contact phones the notice
    # Who of them may, on which task, is in rules/assignment.py.
    Action.assign_task: DEPARTMENT_WORKERS | {Role.manager, Role.general_manager},
    Action.unclaim_task: DEPARTMENT_WORKERS | {Role.manager, Role.general_manager},
    # The name, address, signature and logo on every customer mail and page.
    Action.edit_company_profile: frozenset({Role.admin}),
    # Sales organise a contract's review, speak with the customer and decide the regular ones;
    # each department answers on its own task (which task: rules/tasks.py); the general
    # manager decides the special ones after their review meeting.
    Action.start_review: frozenset({Role.sales}),
    Action.read_reviews: STAFF_ROLES,
    Action.answer_review: DEPARTMENT_WORKERS,
    Action.ask_customer_about_review: DEPARTMENT_WORKERS,
    Action.record_customer_answer: frozenset({Role.sales}),
    Action.record_order_confirmation: frozenset({Role.sales}),
    Action.add_review_document: frozenset({Role.sales}),
    Action.complete_review_round: frozenset({SYSTEM}),
    Action.renegotiate_review: frozenset({Role.sales}),
    Action.accept_review: frozenset({Role.sales}),
    Action.decline_review: frozenset({Role.sales}),
    Action.record_review_meeting: frozenset({Role.sales}),
    Action.approve_review: frozenset({Role.general_manager}),
    Action.reject_review: frozenset({Role.general_manager}),
    Action.withdraw_review: frozenset({Role.sales}),
    Action.read_contracts: STAFF_ROLES,
    Action.record_delivery: frozenset({Role.sales}),
    Action.change_contract: frozenset({Role.sales}),
    Action.report_contract_progress: frozenset({Role.sales}),  # sales speak with the customer
}


@dataclass(frozen=True)
class Actor:
    """Who acts: a user (name, role, department) or the system (``flow:<name>``, role
    ``system``) or a customer on their status page (role ``customer``)."""

    name: str
    role: str
    user_id: int | None = None
    department: str | None = None
    # The colleagues away now who named this user their deputy: their tasks may be worked.
    stands_in_for: frozenset[int] = frozenset()


def may(role: str, action: Action) -> bool:
    return role in PERMISSIONS.get(action, frozenset())


# The admin area's sections: whoever may do one of these is shown the area.
ADMINISTRATION = (
    Action.release_notices,
    Action.retry_events,
    Action.verify_history,
    Action.read_policies,
    Action.manage_users,
    Action.edit_company_profile,
)


def may_administer(role: str) -> bool:
    return any(may(role, action) for action in ADMINISTRATION)


def words(action: Action) -> str:
    return action.value.replace("_", " ")


def permission_refusal(role: str, action: Action) -> NotAllowed | None:
    if may(role, action):
        return None
    return NotAllowed(f"role {role!r} may not {words(action)}")


def require_permission(role: str, action: Action) -> None:
    refusal = permission_refusal(role, action)
    if refusal is not None:
        raise refusal
