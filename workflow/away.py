"""A person away, and the colleague who stands in for them meanwhile."""

from datetime import date

from sqlmodel import Session, col, select

from models.base import id_of
from models.user import AwayRequest, User
from workflow.clock import utcnow
from workflow.errors import InvalidInput
from workflow.rules.assignment import deputy_refusal


def is_away(away_until: date | None, today: date) -> bool:
    """Away through ``away_until``, the last day away."""
    return away_until is not None and today <= away_until


def today() -> date:
    return utcnow().date()


def deputy_while_away(session: Session, user: User) -> User | None:
    """Who stands in for ``user`` now: their active deputy while they are away, else nobody."""
    if not is_away(user.away_until, today()) or user.deputy_id is None:
        return None
    deputy = session.get(User, user.deputy_id)
    return deputy if deputy is not None and deputy.is_active else None


def stands_in_for(session: Session, user_id: int | None) -> frozenset[int]:
    """The ids of the colleagues away now who named ``user_id`` their deputy."""
    if user_id is None:
        return frozenset()
    rows = session.exec(
        select(User.id).where(User.deputy_id == user_id, col(User.away_until) >= today())
    )
    return frozenset(i for i in rows if i is not None)


def _checked_deputy(session: Session, user: User, deputy_id: int | None) -> User:
    if deputy_id is None:
        raise InvalidInput("deputy_id", "name the colleague who stands in while you are away")
    deputy = session.get(User, deputy_id)
    if deputy is None:
        raise InvalidInput("deputy_id", f"there is no user {deputy_id}")
    refusal = deputy_refusal(
        username=user.username,
        department=user.department.value if user.department else None,
        deputy_username=deputy.username,
        deputy_role=deputy.role,
        deputy_department=deputy.department.value if deputy.department else None,
        deputy_active=deputy.is_active,
        deputy_away=is_away(deputy.away_until, today()),
    )
    if refusal is not None:
        raise InvalidInput("deputy_id", refusal)
    return deputy


def set_away(session: Session, *, user_id: int, request: AwayRequest) -> User:
    """Away through ``until`` with a deputy, or back (``until`` null)."""
    user = session.exec(select(User).where(User.id == user_id).with_for_update()).one()
    if request.until is None:
        user.away_until, user.deputy_id = None, None
    elif request.until < today():
        raise InvalidInput("until", f"{request.until} has passed: give your last day away")
    else:
        deputy = _checked_deputy(session, user, request.deputy_id)
        user.away_until, user.deputy_id = request.until, id_of(deputy)
    session.add(user)
    session.commit()
    session.refresh(user)
    return user
