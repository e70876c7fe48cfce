"""Staff accounts."""

from sqlmodel import Session, select

from models.user import User, UserCreate
from workflow.clock import utcnow
from workflow.config import DEV_DEMO_PASSWORD, get_settings
from workflow.errors import RuleViolation
from workflow.rules import Department, Role
from workflow.security import hash_password

# Demo accounts for development only (password ``demo``); refused in production.
DEMO_USERS = [
    ("sales", "Sam Sales", Role.sales, Department.sales),
    ("quality", "Quinn Quality", Role.quality, Department.quality),
    ("technical", "Tess Technical", Role.technical, Department.technical),
    ("manager", "Morgan Manager (quality manager)", Role.manager, Department.quality),
    ("gm", "Grace General-Manager", Role.general_manager, Department.management),
    ("admin", "Ada Admin", Role.admin, None),
]


def create_user(session: Session, *, user_create: UserCreate) -> User:
    if session.exec(select(User).where(User.username == user_create.username)).first():
        raise RuleViolation(f"user {user_create.username} exists")
    user = User.model_validate(
        user_create,
        update={"hashed_password": hash_password(user_create.password), "created_at": utcnow()},
    )
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def seed_demo_users(session: Session) -> list[str]:
    """Create the demo accounts that are missing; the usernames created."""
    if get_settings().environment == "production":
        raise RuleViolation("demo users are for development only")
    created = []
    for username, full_name, role, department in DEMO_USERS:
        if session.exec(select(User).where(User.username == username)).first():
            continue
        create_user(
            session,
            user_create=UserCreate(
                username=username,
                full_name=full_name,
                email=f"{username}@example.com",
                role=role,
                department=department,
                password=DEV_DEMO_PASSWORD,
            ),
        )
        created.append(username)
    return created
