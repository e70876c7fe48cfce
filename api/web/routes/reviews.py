"""Contract reviews on the pages: sales start one and decide it, each department answers its
part on the review page, the general manager approves the special ones. Every form a page
shows is asked of the rules (``workflow/rules/review.py``); the services check again."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Path, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile

from api.deps import SessionDep
from api.downloads import attachment_response
from api.web.assign_form import review_assignment_context
from api.web.forms import FieldErrors, integer, text_fields, validate
from api.web.pages import flash, render
from api.web.routes import page_router
from api.web.session import page_for
from models.base import id_of
from models.enums import (
    Channel,
    Department,
    ReviewKind,
    ReviewStatus,
    ReviewVerdict,
    SpecialCriterion,
    TaskKind,
)
from models.review import (
    Contract,
    DepartmentReviewAnswer,
    OrderConfirmationRecord,
    Review,
    ReviewCreate,
    ReviewCustomerAnswer,
    ReviewDecision,
    ReviewDecisionKind,
    ReviewMeetingRecord,
    ReviewQuestionToCustomer,
    ReviewTaskPublic,
)
from models.task import Task
from workflow import reviews
from workflow.attachments import AttachmentRefused, NewAttachment, check_uploads, get_attachment
from workflow.contracts import business_today
from workflow.db import read_session, write_session
from workflow.errors import InvalidInput, NotFound, RuleViolation, StaleVersion
from workflow.languages import SHIPPED_LANGUAGES, default_time_zone, language_name, shipped_language
from workflow.queries import search_customers
from workflow.review_view import (
    approvals_waiting,
    next_due,
    review_list,
    review_public,
    shown_due,
    statuses_chosen,
)
from workflow.rules import Action, Actor, is_finished, may
from workflow.rules.review import (
    DEPARTMENT_SCOPE,
    OPEN_REVIEW_STATUSES,
    REVIEW_DEPARTMENTS,
    ReviewFacts,
    available_review_actions,
    questions_for,
    renegotiation_departments,
    review_task_refusal,
)

router = page_router()
Reader = Annotated[Actor, page_for(Action.read_reviews)]
Starter = Annotated[Actor, page_for(Action.start_review)]
Approver = Annotated[Actor, page_for(Action.approve_review)]
TaskId = Annotated[int, Path(ge=1, le=2**62)]
Reference = Annotated[str, Path(max_length=32)]
UNPROCESSABLE = status.HTTP_422_UNPROCESSABLE_CONTENT
LIST_SIZE = 100

START_FIELDS = (
    "kind",
    "title",
    "order_reference",
    "value",
    "currency",
    "quantity",
    "requested_delivery",
    "requirements",
    "channel",
    "reason",
)
CUSTOMER_FIELDS = ("name", "company", "email", "phone", "address", "language", "time_zone")
START_KINDS = tuple(k for k in ReviewKind if k is not ReviewKind.change)
# ``high_value`` follows from the value and the policy, never ticked by hand.
FLAGGED_CRITERIA = tuple(c for c in SpecialCriterion if c is not SpecialCriterion.high_value)

# The review page's forms and their fields: a field is named ``<form>_<field>`` on the page, so
# every form's errors and kept input stay with it.
FORM_FIELDS: dict[str, tuple[str, ...]] = {
    **{d.value: ("reason",) for d in ReviewDecisionKind},
    "renegotiate": ("departments", "reason"),
    "meeting": ("held_on", "attendees", "minutes"),
    "confirmation": ("confirmed_with", "confirmed_on", "summary"),
    "question": ("question",),
    "customer": ("answer",),
    "answer": ("answers", "verdict", "conditions", "comments"),
    "claim": (),
    "documents": ("files",),
}
DECISION_DONE = {
    ReviewDecisionKind.accept: "Accepted: {contract} is in the contract ledger; the customer is "
    "told within a minute.",
    ReviewDecisionKind.approve: "Approved: {contract} is in the contract ledger; the customer "
    "is told within a minute.",
    ReviewDecisionKind.decline: "Declined: the customer is told within a minute.",
    ReviewDecisionKind.reject: "Rejected: the customer is told the company cannot accept it.",
    ReviewDecisionKind.renegotiate: "Renegotiated: round {round} asks the departments again.",
    ReviewDecisionKind.withdraw: "Withdrawn: its open tasks are cancelled.",
}
# Pydantic's messages for the usual slips, in a person's words.
PLAIN_MESSAGES = {
    "missing": "fill this in",
    "string_too_short": "fill this in",
    "date_from_datetime_parsing": "a date, for example 2027-03-01",
    "date_parsing": "a date, for example 2027-03-01",
    "date_type": "a date, for example 2027-03-01",
    "decimal_parsing": "a number, for example 1250000.00",
    "decimal_type": "a number, for example 1250000.00",
    "int_parsing": "a whole number, for example 200",
    "enum": "choose one of the options",
}


def _validate(model: type[BaseModel], data: dict[str, Any]) -> tuple[Any, FieldErrors]:
    return validate(model, data, messages=PLAIN_MESSAGES)


def _strings(form: FormData) -> dict[str, Any]:
    """The form's text fields; a NUL character (no database stores it) is dropped."""
    return {k: v.replace("\x00", "") for k, v in form.items() if isinstance(v, str)}


def _chosen(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str) and v]


def _to(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=status.HTTP_303_SEE_OTHER)


# Starting a review.


def _start_choices() -> dict[str, Any]:
    policy = reviews.review_policy()
    return {
        "kinds": START_KINDS,
        "channels": list(Channel),
        "criteria": FLAGGED_CRITERIA,
        "departments": REVIEW_DEPARTMENTS,
        "scope": DEPARTMENT_SCOPE,
        "policy": policy,
        "languages": [(code, f"{language_name(code)} ({code})") for code in SHIPPED_LANGUAGES],
        "default_language": shipped_language(None),
        "default_time_zone": default_time_zone(),
    }


def _customers_matching(text: str) -> list[Any]:
    text = text.replace("\x00", "").strip()
    if len(text) < 2:
        return []
    with read_session() as session:
        return search_customers(session, text)


def _start_page(
    request: Request, values: dict[str, Any], errors: FieldErrors, status_code: int = 200
) -> Response:
    query = str(values.get("customer_q") or "")
    context = {
        "title": "Start a contract review",
        "values": values,
        "errors": errors,
        "customers": _customers_matching(query),
        "query": query,
        "customer_for": "review",
        **_start_choices(),
    }
    return render(request, "review_new.html", context, status_code=status_code)


@router.get("/reviews/new")
def new_review_page(request: Request, _: Starter) -> Response:
    values = {
        "kind": ReviewKind.contract.value,
        "currency": reviews.review_policy().currency,
        "departments": [d.value for d in REVIEW_DEPARTMENTS],
        "special_criteria": [],
        # A second submit of the same form (a double click, the back button) starts nothing new.
        "idempotency_key": str(uuid.uuid4()),
    }
    return _start_page(request, values, {})


@router.get("/reviews/new/customers")
def review_customer_search(
    request: Request, _: Starter, customer_q: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    context = {
        "customers": _customers_matching(customer_q),
        "query": customer_q,
        "values": {},
        "customer_for": "review",
    }
    return render(request, "_customer_options.html", context)


def _start_data(values: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = text_fields(values, START_FIELDS)
    data["quantity"] = integer(data["quantity"])
    data["special_criteria"] = values["special_criteria"]
    data["departments"] = values["departments"]
    chosen = str(values.get("customer_id") or "").strip()
    if chosen:
        data["customer_id"] = integer(chosen)
    else:
        customer = text_fields(values, tuple(f"customer_{f}" for f in CUSTOMER_FIELDS))
        data["customer"] = {
            f: customer[f"customer_{f}"]
            for f in CUSTOMER_FIELDS
            if customer[f"customer_{f}"] is not None
        }
    return {k: v for k, v in data.items() if v is not None}


def _start(data: ReviewCreate, actor: Actor, key: str | None) -> str:
    with write_session() as session:
        review, _ = reviews.start_review(session, data, actor, key)
        return review.reference


@router.post("/reviews/new")
async def submit_review(request: Request, actor: Starter) -> Response:
    form = await request.form()
    values = {
        **_strings(form),
        "special_criteria": _chosen(form, "special_criteria"),
        "departments": _chosen(form, "departments"),
    }
    data, errors = _validate(ReviewCreate, _start_data(values))
    if not values["departments"]:
        errors["departments"] = "choose the departments that review it: sales at least"
    if not errors:
        try:
            key = str(values.get("idempotency_key") or "")[:255] or None
            reference = await run_in_threadpool(_start, data, actor, key)
        except InvalidInput as invalid:
            errors[invalid.field] = str(invalid)
    if errors:
        return await run_in_threadpool(_start_page, request, values, errors, UNPROCESSABLE)
    flash(
        request,
        f"Started {reference}: each department asked gets its task within a few seconds.",
    )
    return _to(f"/reviews/{reference}")


# Sales' list and the general manager's approvals.


@router.get("/reviews")
def review_list_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    status_: Annotated[str, Query(alias="status", max_length=32)] = "",
) -> Response:
    rows, has_more = review_list(session, statuses_chosen(status_), limit=LIST_SIZE)
    return render(
        request,
        "review_list.html",
        {
            "title": "Contract reviews",
            "rows": rows,
            "has_more": has_more,
            "chosen": status_,
            "statuses": list(ReviewStatus),
            "open_statuses": OPEN_REVIEW_STATUSES,
            "may_start": may(actor.role, Action.start_review),
        },
    )


def _approvals_page(
    request: Request,
    session: Session,
    actor: Actor,
    values: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
) -> Response:
    rows = approvals_waiting(session, limit=LIST_SIZE)
    actions = {
        row.review.reference: available_review_actions(
            reviews.facts_of_review(session, row.review), actor
        )
        for row in rows
    }
    return render(
        request,
        "review_approvals.html",
        {
            "title": "Approvals",
            "rows": rows,
            "actions": actions,
            "values": values or {},
            "errors": errors or {},
        },
        status_code=UNPROCESSABLE if errors else status.HTTP_200_OK,
    )


@router.get("/reviews/approvals")
def approvals_page(request: Request, session: SessionDep, actor: Approver) -> Response:
    return _approvals_page(request, session, actor)


# The review page.


@dataclass(frozen=True)
class TaskOffer:
    """The reader's department's open task, and what the rules let the reader do on it."""

    task: ReviewTaskPublic
    may_claim: bool
    may_answer: bool
    refusal: str | None  # why the reader cannot answer it now, in the rules' words


def _task_offers(
    tasks: list[ReviewTaskPublic], facts: ReviewFacts, actor: Actor
) -> list[TaskOffer]:
    offers = []
    for task in tasks:
        if is_finished(task.status) or actor.department != task.department.value:
            continue
        task_facts = reviews.review_task_facts(task)
        answer = review_task_refusal(Action.answer_review, task_facts, facts, actor)
        claim = review_task_refusal(Action.claim_task, task_facts, facts, actor)
        offers.append(
            TaskOffer(
                task=task,
                may_claim=claim is None,
                may_answer=answer is None,
                refusal=str(answer) if answer is not None else None,
            )
        )
    return offers


def _review_context(session: Session, reference: str, actor: Actor) -> dict[str, Any]:
    review = reviews.get_review(session, reference)
    facts = reviews.facts_of_review(session, review)
    view = review_public(session, review, actor, facts)
    offers = _task_offers(view.tasks, facts, actor)
    actions = {Action(a) for a in view.available_actions}
    return {
        "title": f"{view.reference}: {view.title}",
        "r": view,
        "contract_id": review.contract_id if view.contract_reference else None,
        "next_due": shown_due(review.status, next_due(session, id_of(review))),
        "actions": actions,
        "offers": offers,
        "may_ask": Action.ask_customer_about_review in actions,
        "may_confirm": Action.record_order_confirmation in actions,
        "renegotiate_default": [d.value for d in renegotiation_departments(facts)],
        "verdicts": list(ReviewVerdict),
        "scope": DEPARTMENT_SCOPE,
        "question_text": {q.key: q.text for q in questions_for(Department.sales)},
        "today": business_today().isoformat(),
        **_handover(session, offers, facts, actor),
    }


def _handover(
    session: Session, offers: list[TaskOffer], facts: ReviewFacts, actor: Actor
) -> dict[str, Any]:
    """Handing on the reader's department's task (its holder, or a head of the department)."""
    task = session.get(Task, offers[0].task.id) if offers else None
    if task is None:
        return {"handover_task": None, "handover": frozenset()}
    return {"handover_task": task, **review_assignment_context(session, task, facts, actor)}


def _review_page(
    request: Request,
    reference: str,
    actor: Actor,
    values: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
) -> Response:
    with read_session() as session:
        context = _review_context(session, reference, actor)
    context["values"] = values or {}
    context["errors"] = errors or {}
    code = UNPROCESSABLE if errors else status.HTTP_200_OK
    return render(request, "review_page.html", context, status_code=code)


@router.get("/reviews/{reference}")
def review_page(request: Request, reference: Reference, actor: Reader) -> Response:
    return _review_page(request, reference, actor)


def _form_errors(form: str, errors: FieldErrors) -> FieldErrors:
    """Each error beside its field in ``form``; one of a field it lacks at the form's top."""
    known = FORM_FIELDS.get(form, ())
    named: FieldErrors = {}
    for field, message in errors.items():
        key = f"{form}_{field}" if field in known else f"{form}_form"
        named.setdefault(key, message)
    return named


def _act(
    request: Request,
    reference: str,
    actor: Actor,
    form: str,
    values: dict[str, Any],
    work: Callable[[Session], str],
) -> Response:
    """Do ``work`` in one write transaction; its message, or the page again with the error
    beside the form's field; a refusal of the rules in words at the top of the page."""
    try:
        with write_session() as session:
            done = work(session)
    except InvalidInput as invalid:
        errors = _form_errors(form, {invalid.field: str(invalid)})
        return _review_page(request, reference, actor, values, errors)
    except StaleVersion:
        flash(
            request,
            "Someone changed this review while you had it open: here it is as it stands now. "
            "Check it and try again.",
            "error",
        )
    except RuleViolation as refused:
        flash(request, f"That cannot be done now: {refused}.", "error")
    else:
        flash(request, done)
    return _to(f"/reviews/{reference}")


async def _run(
    request: Request,
    reference: str,
    actor: Actor,
    form: str,
    values: dict[str, Any],
    errors: FieldErrors,
    work: Callable[[Session], str],
) -> Response:
    if errors:
        named = _form_errors(form, errors)
        return await run_in_threadpool(_review_page, request, reference, actor, values, named)
    return await run_in_threadpool(_act, request, reference, actor, form, values, work)


def _version(values: dict[str, Any]) -> int | str | None:
    return integer(values.get("version") or None)


def _decision_done(session: Session, review: Review, kind: ReviewDecisionKind) -> str:
    contract = session.get(Contract, review.contract_id) if review.contract_id else None
    return DECISION_DONE[kind].format(
        contract=contract.reference if contract else "the contract", round=review.round
    )


def _decision_data(form: FormData, values: dict[str, Any], kind: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "decision": kind,
        "reason": str(values.get(f"{kind}_reason") or "").strip() or None,
        "version": _version(values),
    }
    if kind == ReviewDecisionKind.renegotiate:
        data["departments"] = _chosen(form, "renegotiate_departments") or None
    return data


@router.post("/reviews/{reference}/decision")
async def decide(request: Request, reference: Reference, actor: Reader) -> Response:
    form = await request.form()
    values = {**_strings(form), "renegotiate_departments": _chosen(form, "renegotiate_departments")}
    kind = str(values.get("decision") or "")
    if kind not in ReviewDecisionKind.__members__:
        raise InvalidInput("decision", "choose a decision: accept, decline, renegotiate, ...")
    body, errors = _validate(ReviewDecision, _decision_data(form, values, kind))
    if values.get("from") == "approvals":
        return await run_in_threadpool(
            _decide_from_approvals, request, reference, actor, body, errors
        )

    def work(session: Session) -> str:
        review = reviews.decide(session, reference, body, actor)
        return _decision_done(session, review, body.decision)

    return await _run(request, reference, actor, kind, values, errors, work)


def _decide_from_approvals(
    request: Request,
    reference: str,
    actor: Actor,
    body: ReviewDecision | None,
    errors: FieldErrors,
) -> Response:
    """The general manager's approve or reject on the approvals page: back to it, with a
    missing reason shown in the review's row."""
    try:
        if body is None:
            raise InvalidInput("reason", next(iter(errors.values())))
        with write_session() as session:
            review = reviews.decide(session, reference, body, actor)
            flash(request, f"{reference}: {_decision_done(session, review, body.decision)}")
    except InvalidInput as invalid:
        with read_session() as session:
            values = {f"{reference}_reason": body.reason if body else ""}
            errors = {f"{reference}_reason": str(invalid)}
            return _approvals_page(request, session, actor, values, errors)
    except RuleViolation as refused:
        flash(request, f"{reference}: that cannot be done now: {refused}.", "error")
    return _to("/reviews/approvals")


def _attendees(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@router.post("/reviews/{reference}/meeting")
async def record_meeting(request: Request, reference: Reference, actor: Reader) -> Response:
    values = _strings(await request.form())
    attendees = _attendees(str(values.get("meeting_attendees") or ""))
    body, errors = _validate(
        ReviewMeetingRecord,
        {
            "held_on": values.get("meeting_held_on") or None,
            "attendees": attendees,
            "minutes": str(values.get("meeting_minutes") or "").strip(),
            "version": _version(values),
        },
    )
    if len(attendees) < 2:
        errors["attendees"] = "name at least two attendees, one a line"

    def work(session: Session) -> str:
        reviews.record_meeting(session, reference, body, actor)
        return "Meeting recorded: the review waits for the general manager's approval."

    return await _run(request, reference, actor, "meeting", values, errors, work)


@router.post("/reviews/{reference}/documents")
async def add_documents(request: Request, reference: Reference, actor: Reader) -> Response:
    form = await request.form()
    files = [f for f in form.getlist("documents") if isinstance(f, UploadFile) and f.filename]
    errors: FieldErrors = {}
    documents: list[NewAttachment] = []
    try:
        documents = check_uploads([(f.filename or "document", await f.read()) for f in files])
    except AttachmentRefused as refused:
        errors["files"] = str(refused)
    if not files:
        errors["files"] = "choose at least one file"

    def work(session: Session) -> str:
        reviews.add_documents(session, reference, documents, actor)
        return f"{len(documents)} document(s) added."

    return await _run(request, reference, actor, "documents", {}, errors, work)


@router.get("/reviews/{reference}/documents/{document_id}")
def review_document(
    reference: Reference,
    document_id: Annotated[int, Path(ge=1, le=2**62)],
    session: SessionDep,
    _: Reader,
) -> Response:
    review = reviews.get_review(session, reference)
    return attachment_response(get_attachment(session, id_of(review), document_id))


@router.post("/reviews/{reference}/confirmation")
async def record_confirmation(request: Request, reference: Reference, actor: Reader) -> Response:
    values = _strings(await request.form())
    body, errors = _validate(
        OrderConfirmationRecord,
        {
            "confirmed_with": str(values.get("confirmation_confirmed_with") or "").strip(),
            "confirmed_on": values.get("confirmation_confirmed_on") or None,
            "summary": str(values.get("confirmation_summary") or "").strip(),
            "version": _version(values),
        },
    )

    def work(session: Session) -> str:
        reviews.record_confirmation(session, reference, body, actor)
        return "Order confirmation recorded."

    return await _run(request, reference, actor, "confirmation", values, errors, work)


@router.post("/reviews/{reference}/questions")
async def ask_customer(request: Request, reference: Reference, actor: Reader) -> Response:
    values = _strings(await request.form())
    body, errors = _validate(
        ReviewQuestionToCustomer,
        {
            "question": str(values.get("question_question") or "").strip(),
            "version": _version(values),
        },
    )

    def work(session: Session) -> str:
        reviews.ask_customer(session, reference, body, actor)
        return "Question sent to the customer: the review's clocks wait for the answer."

    return await _run(request, reference, actor, "question", values, errors, work)


@router.post("/reviews/{reference}/customer-answer")
async def record_customer_answer(request: Request, reference: Reference, actor: Reader) -> Response:
    values = _strings(await request.form())
    body, errors = _validate(
        ReviewCustomerAnswer,
        {
            "answer": str(values.get("customer_answer") or "").strip(),
            "version": _version(values),
        },
    )

    def work(session: Session) -> str:
        reviews.record_customer_answer(session, reference, body, actor)
        return "The customer's answer is recorded: the departments' clocks run again."

    return await _run(request, reference, actor, "customer", values, errors, work)


def _owner(department: Department) -> str:
    """The department's, as in "sales' review", "quality's review"."""
    name = department.value
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _task_of_review(session: Session, reference: str, task_id: int) -> Task:
    """The task, if it is a department's review task of this review (404 otherwise)."""
    review = reviews.get_review(session, reference)
    task = session.get(Task, task_id)
    if task is None or task.case_id != review.id or task.kind is not TaskKind.department_review:
        raise NotFound(f"{reference} has no review task {task_id}")
    return task


@router.post("/reviews/{reference}/tasks/{task_id}/claim")
async def claim_task(
    request: Request, reference: Reference, task_id: TaskId, actor: Reader
) -> Response:
    def work(session: Session) -> str:
        task = _task_of_review(session, reference, task_id)
        reviews.claim_review_task(session, task_id, actor)
        return f"Claimed: {_owner(task.department)} review of {reference} is yours now."

    return await _run(request, reference, actor, "claim", {}, {}, work)


def _answer_data(
    form: dict[str, Any], department: Department
) -> tuple[dict[str, Any], FieldErrors]:
    answers: dict[str, bool] = {}
    errors: FieldErrors = {}
    for question in questions_for(department):
        choice = form.get(f"answer_q_{question.key}")
        if choice not in ("yes", "no"):
            errors["answers"] = "answer every question yes or no"
            continue
        answers[question.key] = choice == "yes"
    data = {
        "verdict": form.get("answer_verdict") or None,
        "answers": answers,
        "conditions": str(form.get("answer_conditions") or "").strip(),
        "comments": str(form.get("answer_comments") or "").strip(),
        "version": _version(form),
    }
    return data, errors


def _department_of_task(reference: str, task_id: int) -> Department:
    with read_session() as session:
        return _task_of_review(session, reference, task_id).department


@router.post("/reviews/{reference}/tasks/{task_id}/answer")
async def answer_task(
    request: Request, reference: Reference, task_id: TaskId, actor: Reader
) -> Response:
    values = _strings(await request.form())
    department = await run_in_threadpool(_department_of_task, reference, task_id)
    data, errors = _answer_data(values, department)
    body, invalid = _validate(DepartmentReviewAnswer, data)
    errors = {**invalid, **errors}

    def work(session: Session) -> str:
        _task_of_review(session, reference, task_id)
        reviews.answer_department_review(session, task_id, body, actor)
        return f"{_owner(department).capitalize()} answer is recorded."

    return await _run(request, reference, actor, "answer", values, errors, work)
