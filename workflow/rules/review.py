"""The contract and order review as data: its states and transitions (a process on the same
engine as the complaint), which departments review and what each answers, what makes a
contract special, and who decides what. Pure: asked by the services, the API and the pages.

The company's procedure: sales organises the review; each department concerned says whether
the company can meet the customer's requirements; a regular review is decided by sales, a
special one in a review meeting and by the general manager; the customer is told; accepted
contracts go into the contract ledger. Phone, oral and fax orders are confirmed back to the
customer in writing, except below a small value, where the delivery note confirms them.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from models.enums import (
    Channel,
    ContractStatus,
    Department,
    ReviewKind,
    ReviewStatus,
    ReviewVerdict,
    SpecialCriterion,
    TaskStatus,
)
from workflow.errors import InvalidInput, NotAllowed, RuleViolation
from workflow.rules.actions import TaskFacts, task_handover_refusal
from workflow.rules.assignment import HANDOVER_ACTIONS
from workflow.rules.permissions import Action, Actor, permission_refusal
from workflow.rules.process import ProcessDefinition, Transition, transition
from workflow.rules.tasks import is_finished

Refusal = NotAllowed | RuleViolation | InvalidInput

# Who reviews what (the procedure's own words, shown beside each department's task).
DEPARTMENT_SCOPE: Mapping[Department, str] = MappingProxyType(
    {
        Department.sales: "pricing, delivery requirements, contract compliance, the customer's "
        "ability to pay and reputation",
        Department.quality: "testing and quality-assurance capability",
        Department.technical: "technical requirements, standards, packaging, changes",
        Department.procurement: "feasibility and schedule of purchases",
        Department.production: "equipment, tooling capability, delivery schedule",
    }
)
REVIEW_DEPARTMENTS = tuple(DEPARTMENT_SCOPE)


@dataclass(frozen=True)
class ReviewQuestion:
    key: str
    text: str


# What every review answers, each department for its own part.
REVIEW_QUESTIONS = (
    ReviewQuestion(
        "requirements_clear",
        "Are the customer's requirements clear and complete, with nothing ambiguous?",
    ),
    ReviewQuestion("requirements_agreed", "Do both sides agree on all of them?"),
    ReviewQuestion(
        "legal_requirements_met",
        "Are laws, regulations, environmental and safety requirements covered?",
    ),
    ReviewQuestion("on_time", "Can the company complete it in the agreed time?"),
)
SALES_QUESTIONS = (
    ReviewQuestion("customer_can_pay", "Is the customer able to pay, and of sound reputation?"),
    ReviewQuestion("margin_acceptable", "Is the margin acceptable?"),
)


def questions_for(department: Department) -> tuple[ReviewQuestion, ...]:
    return REVIEW_QUESTIONS + (SALES_QUESTIONS if department is Department.sales else ())


class ReviewEvent(StrEnum):
    """A review's outbox events, each handled once by the delivery flow."""

    # One per department asked in a round (at the start, and again after a renegotiation):
    # opens that department's task. Payload: department, round.
    department_asked = "review.department_asked"
    round_complete = "review.round_complete"  # every department answered: sales decides
    approval_requested = "review.approval_requested"  # the general manager's task and notice
    decided = "review.decided"  # the customer's answer; an accepted one enters the ledger


OPEN_REVIEW_STATUSES = frozenset(
    {
        ReviewStatus.in_review,
        ReviewStatus.waiting_on_customer,
        ReviewStatus.with_sales,
        ReviewStatus.awaiting_approval,
    }
)
DECIDED_STATUSES = frozenset({ReviewStatus.accepted, ReviewStatus.declined, ReviewStatus.rejected})
# A question to the customer pauses every clock of the review until sales record the answer.
CLOCKS_RUNNING_STATUSES = OPEN_REVIEW_STATUSES - {ReviewStatus.waiting_on_customer}

# The department a review waits on as a whole: none while the departments answer, each on
# its own task; sales once they have; the general manager's (management) for an approval.
_t = transition
REVIEW_TRANSITIONS: Mapping[Action, Transition[ReviewStatus]] = MappingProxyType(
    {
        t.action: t
        for t in (
            # A department's question goes to the customer through sales; the clocks pause.
            _t(
                Action.ask_customer_about_review,
                {ReviewStatus.in_review},
                ReviewStatus.waiting_on_customer,
                Department.sales,
            ),
            _t(
                Action.record_customer_answer,
                {ReviewStatus.waiting_on_customer},
                ReviewStatus.in_review,
                None,
            ),
            # The last department's answer completes the round (the service, as the system).
            _t(
                Action.complete_review_round,
                {ReviewStatus.in_review},
                ReviewStatus.with_sales,
                Department.sales,
                ReviewEvent.round_complete,
            ),
            _t(
                Action.renegotiate_review,
                {ReviewStatus.with_sales},
                ReviewStatus.in_review,
                None,
            ),
            _t(
                Action.accept_review,
                {ReviewStatus.with_sales},
                ReviewStatus.accepted,
                None,
                ReviewEvent.decided,
            ),
            _t(
                Action.decline_review,
                {ReviewStatus.with_sales},
                ReviewStatus.declined,
                None,
                ReviewEvent.decided,
            ),
            _t(
                Action.record_review_meeting,
                {ReviewStatus.with_sales},
                ReviewStatus.awaiting_approval,
                Department.management,
                ReviewEvent.approval_requested,
            ),
            _t(
                Action.approve_review,
                {ReviewStatus.awaiting_approval},
                ReviewStatus.accepted,
                None,
                ReviewEvent.decided,
            ),
            _t(
                Action.reject_review,
                {ReviewStatus.awaiting_approval},
                ReviewStatus.rejected,
                None,
                ReviewEvent.decided,
            ),
            _t(Action.withdraw_review, OPEN_REVIEW_STATUSES, ReviewStatus.withdrawn, None),
        )
    }
)

# A review starts in review: sales' entry is the start (``Action.start_review``).
REVIEW_PROCESS = ProcessDefinition(
    name="review",
    statuses=ReviewStatus,
    open_statuses=OPEN_REVIEW_STATUSES,
    transitions=REVIEW_TRANSITIONS,
)


@dataclass(frozen=True)
class ReviewPolicy:
    """The procedure's thresholds, in one currency; other currencies by the rates given."""

    currency: str = "CNY"
    special_value: Decimal = Decimal(1_000_000)  # at or above it a contract is special
    confirmation_value: Decimal = Decimal(10_000)  # below it the delivery note confirms
    exchange_rates: Mapping[str, Decimal] = field(
        default_factory=lambda: MappingProxyType({"CNY": Decimal(1)})
    )

    def in_policy_currency(self, value: Decimal, currency: str) -> Decimal:
        rate = self.exchange_rates.get(currency.upper())
        if rate is None:
            known = ", ".join(sorted(self.exchange_rates))
            raise InvalidInput(
                "currency",
                f"no exchange rate to {self.currency} for {currency}: the review policy knows "
                f"{known}; an administrator adds the rate",
            )
        return value * rate


def special_criteria(
    flagged: Collection[SpecialCriterion],
    value: Decimal | None,
    currency: str,
    policy: ReviewPolicy,
) -> frozenset[SpecialCriterion]:
    """What makes this contract special: the flags sales set, and a value at or above the
    policy's threshold (``high_value`` is computed, never set by hand)."""
    found = set(flagged) - {SpecialCriterion.high_value}
    if value is not None and policy.in_policy_currency(value, currency) >= policy.special_value:
        found.add(SpecialCriterion.high_value)
    return frozenset(found)


# Received this way, an order is confirmed back to the customer in writing.
UNWRITTEN_CHANNELS = frozenset({Channel.phone, Channel.fax, Channel.visit})


def needs_written_confirmation(
    kind: ReviewKind, channel: Channel, value: Decimal | None, currency: str, policy: ReviewPolicy
) -> bool:
    """A phone, oral or fax order needs the order confirmation, unless its value is below the
    policy's (then the delivery note serves as the confirmation)."""
    if kind is not ReviewKind.order or channel not in UNWRITTEN_CHANNELS:
        return False
    if value is None:
        return True
    return policy.in_policy_currency(value, currency) >= policy.confirmation_value


def departments_refusal(
    kind: ReviewKind,
    special: bool,
    chosen: Collection[Department],
    reason: str | None,
) -> InvalidInput | None:
    """Which departments a review asks. All five by default; sales may leave one out of a
    regular order, with the reason; a change asks only the departments it concerns, chosen by
    sales with the reason. Sales, who organise every review, always answer their part."""
    strangers = [d for d in chosen if d not in DEPARTMENT_SCOPE]
    if strangers:
        names = ", ".join(d.value for d in strangers)
        return InvalidInput("departments", f"{names} does not review contracts")
    if Department.sales not in chosen:
        return InvalidInput("departments", "sales review every contract: keep sales")
    left_out = set(REVIEW_DEPARTMENTS) - set(chosen)
    if not left_out:
        return None
    if kind is ReviewKind.change:
        return None if reason else InvalidInput("reason", "say why the change concerns only these")
    if kind is not ReviewKind.order or special:
        return InvalidInput(
            "departments",
            "only a regular order may leave departments out; a contract, a tender or a special "
            "order is reviewed by all five",
        )
    if not reason:
        return InvalidInput("reason", "say why these departments are left out")
    return None


@dataclass(frozen=True)
class DepartmentAnswer:
    department: Department
    verdict: ReviewVerdict
    answers: Mapping[str, bool]
    conditions: str = ""
    comments: str = ""


def answer_refusal(answer: DepartmentAnswer) -> InvalidInput | None:
    """A department's answer answers its questions, and its verdict follows from them: a
    condition is stated, a "cannot meet" says why, and a "no" is never a plain "can meet"."""
    expected = {q.key for q in questions_for(answer.department)}
    missing = sorted(expected - set(answer.answers))
    if missing:
        return InvalidInput("answers", f"answer every review question: {', '.join(missing)}")
    unknown = sorted(set(answer.answers) - expected)
    if unknown:
        return InvalidInput("answers", f"not a question of this review: {', '.join(unknown)}")
    if answer.verdict is ReviewVerdict.can_meet_with_conditions and not answer.conditions.strip():
        return InvalidInput("conditions", "state the conditions the company can meet it on")
    if answer.verdict is ReviewVerdict.cannot_meet and not answer.comments.strip():
        return InvalidInput("comments", "say why the company cannot meet the requirements")
    if answer.verdict is ReviewVerdict.can_meet and not all(answer.answers.values()):
        noes = ", ".join(k for k, yes in answer.answers.items() if not yes)
        return InvalidInput(
            "verdict", f"answered no to {noes}: that is a condition or a cannot meet"
        )
    return None


@dataclass(frozen=True)
class ReviewFacts:
    """What the rules need to know of a review: asked, never looked up by the rules."""

    status: ReviewStatus
    kind: ReviewKind
    special: bool
    round: int = 1
    # The verdicts of the current round, by department; a department still to answer is absent.
    verdicts: Mapping[Department, ReviewVerdict] = field(default_factory=dict)
    departments: frozenset[Department] = frozenset(REVIEW_DEPARTMENTS)  # asked this round
    confirmation_needed: bool = False  # a phone, oral or fax order at or above the policy value
    confirmed: bool = False  # the order confirmation is recorded


def _waiting_for(review: ReviewFacts) -> list[Department]:
    return [d for d in REVIEW_DEPARTMENTS if d in review.departments and d not in review.verdicts]


def _cannot_meet(review: ReviewFacts) -> list[Department]:
    return [d for d, v in review.verdicts.items() if v is ReviewVerdict.cannot_meet]


def _names(departments: Collection[Department]) -> str:
    return ", ".join(d.value for d in departments)


def _decision_refusal(action: Action, review: ReviewFacts) -> RuleViolation | None:
    """Who decides what, beyond the state: a regular review is sales', a special one the
    general manager's after a meeting; nothing is accepted that a department cannot meet."""
    if action is Action.complete_review_round and _waiting_for(review):
        return RuleViolation(f"{_names(_waiting_for(review))} still to answer")
    accepting = action in {Action.accept_review, Action.approve_review}
    if accepting and _cannot_meet(review):
        return RuleViolation(
            f"{_names(_cannot_meet(review))} cannot meet the requirements: renegotiate or decline"
        )
    if action is Action.accept_review and review.special:
        return RuleViolation(
            "a special contract is approved by the general manager after a review meeting"
        )
    if action is Action.record_review_meeting and not review.special:
        return RuleViolation("a regular review is decided by sales: no meeting is needed")
    if accepting and review.confirmation_needed and not review.confirmed:
        return RuleViolation(
            "record the order confirmation first: every requirement confirmed back to the "
            "customer in writing"
        )
    return None


def _confirmation_refusal(review: ReviewFacts) -> RuleViolation | None:
    """A phone, oral or fax order's confirmation is recorded once, while the review is open."""
    if not review.confirmation_needed:
        return RuleViolation("this review needs no order confirmation")
    if review.confirmed:
        return RuleViolation("the order confirmation is recorded already")
    if not REVIEW_PROCESS.is_open(review.status):
        return RuleViolation(f"the review is {review.status.value}")
    return None


def _question_refusal(review: ReviewFacts, actor: Actor) -> NotAllowed | None:
    """A department still to answer this round asks the customer through sales (or sales
    themselves)."""
    if actor.department == Department.sales.value:
        return None
    if actor.department in {d.value for d in _waiting_for(review)}:
        return None
    return NotAllowed(f"{actor.name}'s department has no answer open in this round to ask about")


def renegotiation_departments(review: ReviewFacts) -> list[Department]:
    """Asked again by default when sales renegotiate: those that set a condition or cannot
    meet the requirements."""
    return [
        d
        for d in REVIEW_DEPARTMENTS
        if review.verdicts.get(d, ReviewVerdict.can_meet) is not ReviewVerdict.can_meet
    ]


def review_refusal(action: Action, review: ReviewFacts, actor: Actor) -> Refusal | None:
    """Why ``actor`` may not take ``action`` on the review now, or None."""
    refusal = permission_refusal(actor.role, action)
    if refusal is not None:
        return refusal
    if action in REVIEW_TRANSITIONS:
        state = REVIEW_PROCESS.refusal(review.status, action)
        if state is not None:
            return state
    if action is Action.record_order_confirmation:
        return _confirmation_refusal(review)
    if action is Action.add_review_document and not REVIEW_PROCESS.is_open(review.status):
        return RuleViolation(f"the review is {review.status.value}: its documents are closed")
    if action is Action.ask_customer_about_review:
        return _question_refusal(review, actor)
    return _decision_refusal(action, review)


def require_review_action(action: Action, review: ReviewFacts, actor: Actor) -> None:
    refusal = review_refusal(action, review, actor)
    if refusal is not None:
        raise refusal


# What people do on a review itself (a department's answer is asked of its task).
REVIEW_ACTIONS = (
    Action.add_review_document,
    Action.ask_customer_about_review,
    Action.record_order_confirmation,
    Action.record_customer_answer,
    Action.renegotiate_review,
    Action.accept_review,
    Action.decline_review,
    Action.record_review_meeting,
    Action.approve_review,
    Action.reject_review,
    Action.withdraw_review,
)


def available_review_actions(review: ReviewFacts, actor: Actor) -> list[Action]:
    """What ``actor`` may do on the review now: the pages' buttons and the API's list."""
    return [a for a in REVIEW_ACTIONS if review_refusal(a, review, actor) is None]


def review_task_refusal(
    action: Action, task: TaskFacts, review: ReviewFacts, actor: Actor
) -> Refusal | None:
    """Why ``actor`` may not claim or answer a department's review task now: only that
    department's own people work it, while the round is open; a task a colleague claimed is
    theirs (or their deputy's while they are away), and a claimed task is not claimed again
    (its claimant claiming it once more is no change, and never asks)."""
    refusal = permission_refusal(actor.role, action)
    if refusal is not None:
        return refusal
    if action in HANDOVER_ACTIONS:
        return _review_handover_refusal(action, task, review, actor)
    department = task.department.value
    if actor.department != department:
        return NotAllowed(f"this review task is {department}'s: {actor.name} cannot work it")
    if is_finished(task.status):
        return RuleViolation("this review task is already answered")
    if task.assignee_id not in (None, actor.user_id, *actor.stands_in_for):
        return RuleViolation("this review task is claimed by a colleague: they answer it")
    if action is Action.claim_task and task.status is TaskStatus.claimed:
        return RuleViolation("this review task is claimed already")
    if review.status is ReviewStatus.waiting_on_customer:
        return RuleViolation("the review waits for the customer's answer to a question")
    if review.status is not ReviewStatus.in_review:
        return RuleViolation(f"the review is {review.status.value}: its round is over")
    return None


def available_review_handover_actions(
    task: TaskFacts, review: ReviewFacts, actor: Actor
) -> frozenset[Action]:
    """Assign and unclaim of a review task, as the page offers them."""
    return frozenset(
        a for a in HANDOVER_ACTIONS if review_task_refusal(a, task, review, actor) is None
    )


def _review_handover_refusal(
    action: Action, task: TaskFacts, review: ReviewFacts, actor: Actor
) -> Refusal | None:
    """A review task is handed on as a complaint's is (its holder, or a head of its
    department), while the review is open."""
    refusal = task_handover_refusal(action, task, actor)
    if refusal is None and not REVIEW_PROCESS.is_open(review.status):
        return RuleViolation(f"the review is {review.status.value}: its round is over")
    return refusal


def customer_answer(review: ReviewFacts) -> str:
    """What the customer is told of a decided review: accepted, accepted with conditions
    (listed in the notice), or declined (also after the general manager's rejection)."""
    if review.status is not ReviewStatus.accepted:
        return "declined"
    conditional = ReviewVerdict.can_meet_with_conditions in review.verdicts.values()
    return "accepted_with_conditions" if conditional else "accepted"


# The contract ledger: what may be done to an accepted contract (the service, the API and the
# pages ask these).


@dataclass(frozen=True)
class ContractFacts:
    """What the rules need to know of a contract in the ledger."""

    reference: str
    status: ContractStatus
    quantity: int | None  # contracted, in its current terms; None: no quantity agreed
    delivered: int = 0  # delivered so far
    change_in_review: str | None = None  # the open change review's reference


# Sales record the deliveries, change or cancel the contract (both are a change of it), and
# report its progress to the customer.
CONTRACT_ACTIONS = (
    Action.record_delivery,
    Action.change_contract,
    Action.report_contract_progress,
)


def contract_refusal(action: Action, contract: ContractFacts, actor: Actor) -> Refusal | None:
    """Why ``actor`` may not record a delivery on, change or cancel the contract, or report its
    progress, now: sales may, while it is active; a completed contract is delivered in full (its
    progress is still reported: the completion report), a cancelled one over."""
    refusal = permission_refusal(actor.role, action)
    if refusal is not None:
        return refusal
    if contract.status is ContractStatus.cancelled:
        return _cancelled_refusal(action, contract)
    if action is Action.report_contract_progress:
        return None
    if contract.status is ContractStatus.completed:
        return RuleViolation(f"{contract.reference} is completed: its whole quantity is delivered")
    if action is Action.change_contract and contract.change_in_review:
        return RuleViolation(
            f"{contract.reference} has a change in review: {contract.change_in_review}; it is "
            "decided or withdrawn first"
        )
    return None


def _cancelled_refusal(action: Action, contract: ContractFacts) -> RuleViolation:
    if action is Action.report_contract_progress:
        return RuleViolation(
            f"{contract.reference} is cancelled: nothing more is delivered against it, so there "
            "is no progress to report; tell the customer about the cancellation yourself"
        )
    return RuleViolation(
        f"{contract.reference} is cancelled: nothing more is delivered against it or changed"
    )


def delivery_refusal(
    contract: ContractFacts, quantity: int, delivered_on: date, today: date
) -> Refusal | None:
    """A delivery is recorded once it has gone out, and never beyond the contracted quantity
    (more than that is a change of the contract first)."""
    if delivered_on > today:
        return InvalidInput(
            "delivered_on",
            f"{delivered_on.isoformat()} is in the future: record a delivery once it has gone out",
        )
    if contract.quantity is not None and contract.delivered + quantity > contract.quantity:
        left = contract.quantity - contract.delivered
        return RuleViolation(
            f"{contract.reference} has {left} of its {contract.quantity} still to deliver, not "
            f"{quantity}: to deliver more, change the contract first"
        )
    return None


def completes_contract(contract: ContractFacts, quantity: int) -> bool:
    """Whether delivering ``quantity`` more delivers the whole contracted quantity."""
    return contract.quantity is not None and contract.delivered + quantity >= contract.quantity


def status_under_new_terms(contract: ContractFacts) -> ContractStatus:
    """A contract's status once a change's terms are its current ones: a quantity raised above
    what is delivered makes a completed contract active again (the change was reviewed while
    the last delivery went out), one lowered to what is delivered completes it; a cancelled
    contract stays cancelled."""
    if contract.status is ContractStatus.cancelled:
        return contract.status
    if contract.quantity is not None and contract.delivered >= contract.quantity:
        return ContractStatus.completed
    return ContractStatus.active


def available_contract_actions(contract: ContractFacts, actor: Actor) -> list[Action]:
    """What ``actor`` may do on the contract now: the pages' forms and the API's list."""
    return [a for a in CONTRACT_ACTIONS if contract_refusal(a, contract, actor) is None]
