from typing import Annotated

from fastapi import APIRouter, Path
from sqlmodel import Field, SQLModel, col, select

from api.deps import SessionDep, allowed
from models.complaint import Complaint
from models.notification import NotificationPublic
from notifications.ledger import held_notices
from workflow.delivery import release_notice
from workflow.history import verify_all_chains
from workflow.rules import Action
from workflow.transitions import Actor

router = APIRouter(prefix="/admin", tags=["admin"])


class HeldNotice(NotificationPublic):
    complaint_reference: str | None


class Release(SQLModel):
    reason: str = Field(
        min_length=3,
        max_length=2_000,
        schema_extra={"examples": ["Checked the mail server log: the mail never left."]},
    )


class BrokenChain(SQLModel):
    reference: str
    first_broken_seq: int


class HistoryVerification(SQLModel):
    complaints_checked: int
    intact: bool
    broken: list[BrokenChain]


def _references(session: SessionDep, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(
        select(Complaint.id, Complaint.reference).where(col(Complaint.id).in_(wanted))
    )
    return {i: r for i, r in rows if i is not None}


@router.get(
    "/notices/held",
    summary="Notices held for a person",
    description="Notices whose delivery is unknown (the sender stopped, or the mail server "
    "timed out mid-transaction, so the mail may have gone) and notices whose retries ran "
    "out. They are never resent automatically.",
)
def list_held(
    session: SessionDep, _: Annotated[Actor, allowed(Action.release_notices)]
) -> list[HeldNotice]:
    notices = held_notices(session)
    references = _references(session, {n.complaint_id for n in notices})
    return [
        HeldNotice.model_validate(
            n,
            from_attributes=True,
            update={"complaint_reference": references.get(n.complaint_id or -1)},
        )
        for n in notices
    ]


@router.post(
    "/notices/{notice_id}/resend",
    summary="Release a held notice for one more attempt",
    description="After checking it did not arrive (e.g. in the mail server's log). The release "
    "and its reason are in the complaint's history.",
    responses={404: {"description": "No such notice"}, 409: {"description": "Not held"}},
)
def release(
    notice_id: Annotated[int, Path(ge=1, le=2**62)],
    body: Release,
    actor: Annotated[Actor, allowed(Action.release_notices)],
) -> NotificationPublic:
    notice = release_notice(notice_id, by=actor.name, reason=body.reason)
    return NotificationPublic.model_validate(notice, from_attributes=True)


@router.get(
    "/history/verify",
    summary="Verify the tamper-evident history",
    description="Recomputes every history row's hash and link; names the first broken row of "
    "each complaint whose chain does not verify (an edit made around the database triggers).",
)
def verify_history(
    session: SessionDep, _: Annotated[Actor, allowed(Action.verify_history)]
) -> HistoryVerification:
    checked, broken = verify_all_chains(session)
    references = _references(session, {complaint_id for complaint_id, _ in broken})
    return HistoryVerification(
        complaints_checked=checked,
        intact=not broken,
        broken=[
            BrokenChain(reference=references.get(cid, str(cid)), first_broken_seq=seq)
            for cid, seq in broken
        ],
    )
