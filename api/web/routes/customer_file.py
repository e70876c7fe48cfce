"""A customer's page for staff: details and complaints; sales change the details there."""

from typing import Annotated, Any

from fastapi import Path, Request, status
from fastapi.responses import RedirectResponse, Response

from api.deps import SessionDep, WriteSessionDep
from api.web.forms import FieldErrors, text_fields, validate
from api.web.pages import flash, render
from api.web.routes import page_router
from api.web.session import page_for
from models.customer import Customer, CustomerUpdate
from workflow.customers import CONTACT_FIELDS, SETTING_FIELDS, customer_complaints, get_customer
from workflow.customers import update_customer as change_customer
from workflow.errors import InvalidInput
from workflow.languages import SHIPPED_LANGUAGES, language_name
from workflow.rules import Action, Actor

router = page_router()
CustomerId = Annotated[int, Path(ge=1, le=2**62)]
FORM_FIELDS = (*CONTACT_FIELDS, *SETTING_FIELDS, "reason")


def _page(
    request: Request,
    session: SessionDep,
    customer: Customer,
    values: dict[str, Any],
    errors: FieldErrors,
    status_code: int = 200,
) -> Response:
    context = {
        "title": f"Customer {customer.name}",
        "customer": customer,
        "complaints": customer_complaints(session, customer.id or 0),
        "values": values,
        "errors": errors,
        "languages": [(code, f"{language_name(code)} ({code})") for code in SHIPPED_LANGUAGES],
    }
    return render(request, "customer_file.html", context, status_code=status_code)


def _current_values(customer: Customer) -> dict[str, Any]:
    return {f: getattr(customer, f) or "" for f in (*CONTACT_FIELDS, *SETTING_FIELDS)}


@router.get("/customers/{customer_id:int}")
def customer_page(
    request: Request,
    customer_id: CustomerId,
    session: SessionDep,
    _: Annotated[Actor, page_for(Action.read_complaints)],
) -> Response:
    customer = get_customer(session, customer_id)
    return _page(request, session, customer, _current_values(customer), {})


@router.post("/customers/{customer_id:int}")
async def edit_customer(
    request: Request,
    customer_id: CustomerId,
    session: WriteSessionDep,
    actor: Annotated[Actor, page_for(Action.edit_customer)],
) -> Response:
    form = await request.form()
    typed = text_fields(form, FORM_FIELDS)
    values = {k: v or "" for k, v in typed.items()}
    given = {k: v if v is not None else "" for k, v in typed.items() if k in form}
    update, errors = validate(CustomerUpdate, given)
    customer = get_customer(session, customer_id)
    if not errors:
        try:
            change = change_customer(session, customer_id=customer_id, update=update, actor=actor)
        except InvalidInput as invalid:
            errors[invalid.field] = str(invalid)
    if errors:
        session.rollback()
        return _page(request, session, customer, values, errors, 422)
    changed = ", ".join(f.replace("_", " ") for f in change.changed) or "nothing"
    flash(request, f"Saved: {changed} changed.")
    return RedirectResponse(f"/customers/{customer_id}", status_code=status.HTTP_303_SEE_OTHER)
