"""Idempotency-Key on a POST that makes a case (a complaint, a contract review): a retry with
the same key and body answers with the case the first request made; the same key with
another body is refused. Scoped to the user; stored in the commit that makes the case."""

import hashlib
import json

from pydantic import BaseModel
from sqlmodel import Session, select

from models.idempotency import IdempotencyRecord
from workflow.clock import utcnow
from workflow.errors import IdempotencyKeyReused


def request_hash(data: BaseModel) -> str:
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def stored_reference(session: Session, *, user_id: int, key: str, body_hash: str) -> str | None:
    """The reference of the case an earlier request with this key made, or None."""
    record = session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
        )
    ).first()
    if record is None:
        return None
    if record.request_hash != body_hash:
        raise IdempotencyKeyReused("this Idempotency-Key was used with a different request body")
    return str(record.response["reference"])


def remember(
    session: Session, *, user_id: int, key: str, body_hash: str, response: dict[str, object]
) -> None:
    """Stage the answer in the caller's transaction (``response`` names the ``reference``)."""
    session.add(
        IdempotencyRecord(
            user_id=user_id,
            key=key,
            request_hash=body_hash,
            status_code=201,
            response=response,
            created_at=utcnow(),
        )
    )
