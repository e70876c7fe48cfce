"""The auditor's documents: a complaint's dossier and its 8D report (PDF), and the complaint
register (PDF, Excel, CSV, or JSON)."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response
from sqlmodel import Field, SQLModel

from api.deps import SessionDep, allowed
from api.routes.reports import Day
from workflow.clock import utcnow
from workflow.documents.dossier import dossier_pdf, eight_d_pdf
from workflow.documents.register import (
    Register,
    RegisterFilter,
    RegisterRow,
    RegisterTotals,
    complaint_register,
)
from workflow.documents.register_pdf import register_pdf
from workflow.documents.register_writers import generated_line, register_csv, register_xlsx
from workflow.documents.render import local_day
from workflow.errors import InvalidInput
from workflow.rules import Action, Kind, Status
from workflow.transitions import Actor

router = APIRouter(tags=["documents"])

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
SearchText = Annotated[str | None, Query(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]


class RegisterFormat(StrEnum):
    pdf = "pdf"
    xlsx = "xlsx"
    csv = "csv"
    json = "json"


MEDIA_TYPES = {RegisterFormat.pdf: PDF, RegisterFormat.xlsx: XLSX, RegisterFormat.csv: CSV}


def attachment(content: bytes | str, media_type: str, filename: str) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


@router.get(
    "/complaints/{reference}/dossier.pdf",
    summary="The complaint's dossier as PDF",
    description="The whole file for an auditor: every field as received, the customer, "
    "attachments (images shown small), tasks, quality's decisions and who took them, actions "
    "and effectiveness checks, every notice with its text and delivery status, the history "
    "and whether its part of the hash chain verifies. Dates in the company's time zone; "
    "page N of M, generated at and by in the footer.",
    response_class=Response,
    responses={200: {"content": {PDF: {}}}, 404: {"description": "No such complaint"}},
)
def complaint_dossier(
    reference: str, session: SessionDep, actor: Annotated[Actor, allowed(Action.read_dossier)]
) -> Response:
    return attachment(dossier_pdf(session, reference, actor), PDF, f"{reference}-dossier.pdf")


@router.get(
    "/complaints/{reference}/8d.pdf",
    summary="The complaint's 8D report as PDF",
    description="The customer-facing form, D0 to D8, with the company's name (`CW_COMPANY_NAME`) "
    "and the complaint's references: what `GET /complaints/{reference}/8d` returns, without "
    "internal notes (no history, no comments, no notices).",
    response_class=Response,
    responses={200: {"content": {PDF: {}}}, 404: {"description": "No such complaint"}},
)
def complaint_eight_d(
    reference: str, session: SessionDep, actor: Annotated[Actor, allowed(Action.read_dossier)]
) -> Response:
    return attachment(eight_d_pdf(session, reference, actor), PDF, f"{reference}-8D.pdf")


@dataclass(frozen=True)
class RegisterQuery:
    filters: RegisterFilter
    format: RegisterFormat


def register_query(
    from_: Annotated[
        Day | None, Query(alias="from", description="First day received (company time zone)")
    ] = None,
    to: Annotated[Day | None, Query(description="The day after the last day received")] = None,
    kind: Kind | None = None,
    status: Status | None = None,
    product: Annotated[SearchText, Query(description="Product name contains")] = None,
    customer: Annotated[SearchText, Query(description="Customer name or company contains")] = None,
    format_: Annotated[
        RegisterFormat | None,
        Query(alias="format", description="pdf, xlsx, csv or json; else from `Accept`"),
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> RegisterQuery:
    if from_ and to and to <= from_:
        raise InvalidInput("to", "`to` must be after `from`", location="query")
    filters = RegisterFilter(
        first_day=from_,
        day_after=to,
        kind=kind,
        status=status,
        product=product.strip() or None if product else None,
        customer=customer.strip() or None if customer else None,
    )
    return RegisterQuery(filters, format_ or _format_accepted(accept or ""))


def _format_accepted(accept: str) -> RegisterFormat:
    for register_format, media_type in MEDIA_TYPES.items():
        if media_type in accept:
            return register_format
    return RegisterFormat.json


class RegisterAnswer(SQLModel):
    filters: str = Field(description="The filters, in words.")
    rows: list[RegisterRow]
    totals: RegisterTotals


def register_file(register: Register, register_format: RegisterFormat, actor: Actor) -> Response:
    """The register as a PDF, Excel or CSV file, stamped with who made it and when."""
    now = utcnow()
    generated = generated_line(actor.name, now)
    name = f"complaint-register-{local_day(now)}"
    if register_format is RegisterFormat.pdf:
        return attachment(register_pdf(register, generated=generated), PDF, f"{name}.pdf")
    if register_format is RegisterFormat.xlsx:
        return attachment(register_xlsx(register, generated=generated), XLSX, f"{name}.xlsx")
    return attachment(register_csv(register), f"{CSV}; charset=utf-8", f"{name}.csv")


@router.get(
    "/register",
    summary="The complaint register",
    description="One row per complaint received in the period (company time zone; `to` is "
    "the day after the last), oldest first: reference, received, customer, product, lot, "
    "kind, severity, status, investigated or not (and why not), resolved, closed, days to "
    "resolve, on time or late, quality record complete; then the totals. As PDF, Excel "
    "(.xlsx) or CSV by `format` or `Accept`; JSON otherwise.",
    response_model=RegisterAnswer,
    responses={200: {"content": {PDF: {}, XLSX: {}, CSV: {}}}},
)
def read_register(
    session: SessionDep,
    actor: Annotated[Actor, allowed(Action.read_register)],
    query: Annotated[RegisterQuery, Depends(register_query)],
) -> Response | RegisterAnswer:
    register = complaint_register(session, query.filters)
    if query.format is RegisterFormat.json:
        return RegisterAnswer(
            filters=query.filters.described(), rows=register.rows, totals=register.totals
        )
    return register_file(register, query.format, actor)
