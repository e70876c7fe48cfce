"""Staff accounts."""

from typing import Any

from sqlmodel import Session, col, select

from models.user import User, UserBase, UserCreate
from workflow.clock import utcnow
from workflow.config import DEV_DEMO_PASSWORD, get_settings
from workflow.errors import RuleViolation
from workflow.rules import Department, Role
from workflow.security import hash_password, verify_password

# Demo accounts for development only (password ``demo``); refused in production.
DEMO_USERS = [
    ("sales", "Sam Sales", Role.sales, Department.sales),
    ("quality", "Quinn Quality", Role.quality, Department.quality),
    ("technical", "Tess Technical", Role.technical, Department.technical),
    ("production", "Pat Production", Role.production, Department.production),
    ("procurement", "Percy Procurement", Role.procurement, Department.procurement),
    ("manager", "Morgan Manager (quality manager)", Role.manager, Department.quality),
    ("gm", "Grace General-Manager", Role.general_manager, Department.management),
    ("admin", "Ada Admin", Role.admin, None),
]


def check_username_free(session: Session, username: str) -> None:
    if session.exec(select(User).where(User.username == username)).first():
        raise RuleViolation(f"user {username} exists")


def _add_user(session: Session, fields: UserBase, password: str) -> User:
    check_username_free(session, fields.username)
    user = User.model_validate(
        fields.model_dump(exclude={"password"}),
        update={"hashed_password": hash_password(password), "created_at": utcnow()},
    )
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def create_user(session: Session, *, user_create: UserCreate) -> User:
    """A staff account; ``UserCreate`` has checked the password against the policy."""
    return _add_user(session, user_create, user_create.password)


def seed_demo_users(session: Session) -> list[str]:
    """Create the demo accounts that are missing; the usernames created."""
    if get_settings().environment == "production":
        raise RuleViolation("demo users are for development only")
    created = []
    for username, full_name, role, department in DEMO_USERS:
        if session.exec(select(User).where(User.username == username)).first():
            continue
        fields = UserBase(
            username=username,
            full_name=full_name,
            email=f"{username}@example.com",
            role=role,
            department=department,
        )
        # The development password is below the policy on purpose: set around UserCreate.
        _add_user(session, fields, DEV_DEMO_PASSWORD)
        created.append(username)
    return created


def demo_logins(session: Session) -> list[str]:
    """Active demo accounts that still sign in with the demo password."""
    names = [username for username, *_ in DEMO_USERS]
    users = session.exec(
        select(User).where(col(User.username).in_(names), User.is_active == True)  # noqa: E712
    ).all()
    return [u.username for u in users if verify_password(DEV_DEMO_PASSWORD, u.hashed_password)]


def refuse_demo_logins_in_production(session: Session) -> None:
    """Production must not start while anyone can sign in as a demo user."""
    if get_settings().environment != "production":
        return
    open_doors = demo_logins(session)
    if open_doors:
        raise RuntimeError(
            f"refusing to start in production: the demo users {', '.join(open_doors)} still "
            "sign in with the demo password; deactivate them first "
            "(complaints deactivate-user NAME --reason WHY)"
        )


def usernames(session: Session, ids: set[int | None]) -> dict[int, str]:
    """The usernames of these accounts, by id (None and unknown ids left out)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(User.id, User.username).where(col(User.id).in_(wanted)))
    return {i: name for i, name in rows if i is not None}


def active_emails(session: Session, *conditions: Any) -> list[str]:
    """The addresses of the active accounts that meet ``conditions``, sorted, each once."""
    found = session.exec(select(User.email).where(User.is_active == True, *conditions))  # noqa: E712
    return sorted({str(email) for email in found})
