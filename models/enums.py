"""The workflow's vocabulary: the values records hold and the rules talk about.

No logic and no imports from the rest of the project, so both the tables (``models``) and the
rules (``workflow.rules``) can import it without pointing at each other.
"""

from enum import IntEnum, StrEnum


class ProcessKind(StrEnum):
    """The customer processes the engine runs; each case is of one."""

    complaint = "complaint"  # complaints and feedback
    review = "review"  # contract and order review


class Kind(StrEnum):
    complaint = "complaint"
    feedback = "feedback"
    inquiry = "inquiry"
    praise = "praise"
    suggestion = "suggestion"


class Channel(StrEnum):
    phone = "phone"
    fax = "fax"
    email = "email"
    visit = "visit"
    web = "web"
    portal = "portal"


class Remedy(StrEnum):
    replacement = "replace"
    repair = "repair"
    refund = "refund"
    credit = "credit"
    explanation = "explanation"
    other = "other"


class Severity(StrEnum):
    critical = "critical"
    major = "major"
    minor = "minor"


class Status(StrEnum):
    received = "received"
    with_quality = "with_quality"
    with_sales = "with_sales"
    approved = "approved"
    resolved = "resolved"
    closed = "closed"
    reopened = "reopened"
    waiting_on_customer = "waiting_on_customer"
    withdrawn = "withdrawn"  # logged by mistake: ended with a reason, never deleted
    duplicate = "duplicate"  # logged twice: ended, pointing at the complaint that stays


class Department(StrEnum):
    sales = "sales"
    quality = "quality"
    technical = "technical"
    production = "production"
    procurement = "procurement"
    management = "management"


class Role(StrEnum):
    sales = "sales"
    quality = "quality"
    technical = "technical"
    production = "production"
    procurement = "procurement"
    manager = "manager"
    general_manager = "general_manager"
    admin = "admin"


class TaskKind(StrEnum):
    quality_assessment = "quality_assessment"
    sales_review = "sales_review"
    subtask = "subtask"
    capa_action = "capa_action"
    effectiveness_check = "effectiveness_check"
    answer_inquiry = "answer_inquiry"
    triage_mail = "triage_mail"
    call_customer = "call_customer"
    department_review = "department_review"  # a department's answer to a contract review


class TaskStatus(StrEnum):
    open = "open"
    claimed = "claimed"
    done = "done"
    cancelled = "cancelled"


class Step(StrEnum):
    """The clocked steps of a complaint; each runs on a deadline policy."""

    acknowledgement = "acknowledgement"
    first_assessment = "first_assessment"
    containment = "containment"
    quality_result = "quality_result"
    subtask = "subtask"
    sales_review = "sales_review"
    customer_reply = "customer_reply"
    capa_action = "capa_action"  # a containment, corrective or preventive action's due date
    effectiveness_wait = "effectiveness_wait"  # from the last corrective action to the check
    effectiveness_check = "effectiveness_check"  # quality's time to record the check
    customer_acceptance = "customer_acceptance"  # the customer's answer to the resolution
    inquiry_answer = "inquiry_answer"  # the answer to a customer's inquiry
    mail_triage = "mail_triage"  # sales' triage of a complaint made from a mail
    customer_call = "customer_call"  # sales phones a notice we cannot mail
    department_review = "department_review"  # a department's answer to a contract review
    review_decision = "review_decision"  # sales' decision once every department answered
    review_approval = "review_approval"  # the general manager's approval of a special one


class ActionKind(StrEnum):
    """Corrective and preventive actions (ISO 9001 10.2, 8D D3, D5 to D7)."""

    containment = "containment"
    corrective = "corrective"
    preventive = "preventive"


class ActionStatus(StrEnum):
    open = "open"
    done = "done"
    cancelled = "cancelled"


class CauseCategory(StrEnum):
    """The six categories of an Ishikawa (6M) diagram."""

    man = "man"
    machine = "machine"
    method = "method"
    material = "material"
    measurement = "measurement"
    environment = "environment"


class Verdict(StrEnum):
    """Quality's finding at an effectiveness check."""

    effective = "effective"
    not_effective = "not_effective"


class LinkReason(StrEnum):
    """Why two complaints look like the same problem."""

    same_product_lot = "same_product_lot"
    same_product_defect = "same_product_defect"
    similar_text = "similar_text"
    by_hand = "by_hand"  # quality linked the two itself


class LinkStatus(StrEnum):
    suggested = "suggested"
    confirmed = "confirmed"
    dismissed = "dismissed"


class EscalationLevel(IntEnum):
    """Who hears of a breach, one level at a time."""

    none = 0
    assignee = 1
    head_of_department = 2
    quality_manager = 3
    general_manager = 4


class HistoryAction(StrEnum):
    """What a history entry records. State changes carry the name of their rules action."""

    log_complaint = "log_complaint"
    correct_complaint = "correct_complaint"
    withdraw = "withdraw"
    mark_duplicate = "mark_duplicate"
    route_to_quality = "route_to_quality"
    close_as_feedback = "close_as_feedback"
    return_result = "return_result"
    approve_result = "approve_result"
    send_back_to_quality = "send_back_to_quality"
    resolve = "resolve"
    record_acceptance = "record_acceptance"
    reopen = "reopen"
    wait_for_customer = "wait_for_customer"
    resume_after_customer = "resume_after_customer"
    record_acknowledgement = "record_acknowledgement"
    no_mail_address = "no_mail_address"
    task_opened = "task_opened"
    task_claimed = "task_claimed"
    task_completed = "task_completed"
    subtask_opened = "subtask_opened"
    subtask_cancelled = "subtask_cancelled"
    first_assessment_recorded = "first_assessment_recorded"
    containment_recorded = "containment_recorded"
    clocks_resumed = "clocks_resumed"
    reminder_sent = "reminder_sent"
    escalated = "escalated"
    notice_sent = "notice_sent"
    notice_failed = "notice_failed"
    notice_held = "notice_held"
    notice_released = "notice_released"
    notice_done_by_hand = "notice_done_by_hand"  # a held notice found delivered, by a person
    event_parked = "event_parked"
    event_retried = "event_retried"
    product_created = "product_created"
    product_changed = "product_changed"
    products_imported = "products_imported"
    product_mapped = "product_mapped"
    code_created = "code_created"
    code_changed = "code_changed"
    severity_changed = "severity_changed"
    action_opened = "action_opened"
    action_done = "action_done"
    action_cancelled = "action_cancelled"
    effectiveness_check_scheduled = "effectiveness_check_scheduled"
    effectiveness_check_opened = "effectiveness_check_opened"
    effectiveness_recorded = "effectiveness_recorded"
    quality_record_completed = "quality_record_completed"
    related_found = "related_found"
    related_confirmed = "related_confirmed"
    related_dismissed = "related_dismissed"
    recurrence_alert = "recurrence_alert"
    related_linked = "related_linked"
    customer_message = "customer_message"
    notice_bounced = "notice_bounced"
    held_mail_dropped = "held_mail_dropped"
    personal_data_erased = "personal_data_erased"
    customer_changed = "customer_changed"
    comment_added = "comment_added"
    close_without_answer = "close_without_answer"
    rate_satisfaction = "rate_satisfaction"
    route_inquiry = "route_inquiry"
    forward_inquiry = "forward_inquiry"
    answer_inquiry = "answer_inquiry"
    mark_feedback_read = "mark_feedback_read"
    triage_mail = "triage_mail"
    route_untriaged = "route_untriaged"
    call_attempted = "call_attempted"  # sales phoned the customer and did not reach them
    customer_called = "customer_called"  # sales phoned the customer a notice and reached them
    task_assigned = "task_assigned"
    task_unclaimed = "task_unclaimed"
    company_profile_changed = "company_profile_changed"
    company_logo_changed = "company_logo_changed"
    due_dates_moved = "due_dates_moved"  # the business calendar changed (a closure day)
    # Contract and order review (workflow/reviews.py) and the contract ledger
    start_review = "start_review"
    answer_review = "answer_review"
    ask_customer_about_review = "ask_customer_about_review"
    record_customer_answer = "record_customer_answer"
    complete_review_round = "complete_review_round"
    renegotiate_review = "renegotiate_review"
    accept_review = "accept_review"
    decline_review = "decline_review"
    record_review_meeting = "record_review_meeting"
    approve_review = "approve_review"
    reject_review = "reject_review"
    withdraw_review = "withdraw_review"
    record_order_confirmation = "record_order_confirmation"
    add_review_document = "add_review_document"
    contract_entered = "contract_entered"  # an accepted review's terms in the ledger
    record_delivery = "record_delivery"
    change_contract = "change_contract"
    complaint_linked_to_contract = "complaint_linked_to_contract"
    progress_reported = "progress_reported"  # sales told the customer a contract's progress


class ReviewKind(StrEnum):
    """What is reviewed before the company commits to it."""

    contract = "contract"  # new product development, long-term supply, framework contracts
    tender = "tender"
    order = "order"  # short-term, also oral, phone, fax and e-mail orders
    change = "change"  # a change to an accepted contract or order


class ReviewStatus(StrEnum):
    in_review = "in_review"  # the departments concerned answer, each on its own task
    waiting_on_customer = "waiting_on_customer"  # a department's question is with the customer
    with_sales = "with_sales"  # every department answered: sales decides or renegotiates
    awaiting_approval = "awaiting_approval"  # special: reviewed in a meeting, the GM decides
    accepted = "accepted"
    declined = "declined"  # by sales
    rejected = "rejected"  # by the general manager
    withdrawn = "withdrawn"  # the customer or sales called it off


class ReviewVerdict(StrEnum):
    """A department's answer: can the company meet the customer's requirements?"""

    can_meet = "can_meet"
    can_meet_with_conditions = "can_meet_with_conditions"
    cannot_meet = "cannot_meet"


class SpecialCriterion(StrEnum):
    """What makes a contract special: a review meeting and the general manager's approval."""

    new_product_development = "new_product_development"
    exceeds_capacity = "exceeds_capacity"
    exceeds_technical_requirements = "exceeds_technical_requirements"
    foreign_exchange_risk = "foreign_exchange_risk"
    low_margin = "low_margin"
    new_conditions_of_use = "new_conditions_of_use"  # a standard product used anew
    high_value = "high_value"  # computed from the value and the policy's threshold


class ContractStatus(StrEnum):
    active = "active"
    completed = "completed"
    cancelled = "cancelled"
