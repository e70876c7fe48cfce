"""Staff comments inside the record: on a complaint or one of its tasks, `@username` mentions
a colleague, who is mailed. Each comment is written to the complaint's history; its text is a
personal field there (``comment_text``), as it may quote the customer."""

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models.base import id_of
from models.comment import Comment, CommentCreate, CommentPublic
from models.complaint import Complaint
from models.enums import HistoryAction
from models.mail import CustomerMessagePublic
from models.notification import NoticeKind
from models.task import Task
from models.user import User
from workflow import notices
from workflow.clock import utcnow
from workflow.complaints import get_complaint
from workflow.errors import InvalidInput
from workflow.history import record_history
from workflow.locking import lock_complaint_by_id
from workflow.rules import Action, Actor, require_permission

# "@name" not preceded by a word character or a dot: mail addresses are no mentions.
MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9][A-Za-z0-9_.-]{1,63})")


@dataclass(frozen=True)
class CommentEntry:
    """A comment or a customer's message, in one time-ordered conversation."""

    at: datetime
    author: str
    body: str
    from_customer: bool
    task_id: int | None = None
    mentions: tuple[str, ...] = ()


def conversation(
    comments: list[CommentPublic], messages: list[CustomerMessagePublic]
) -> list[CommentEntry]:
    """Staff's comments and the customer's messages in one thread, oldest first."""
    staff = [
        CommentEntry(
            at=c.created_at,
            author=c.author_name or c.author,
            body=c.body,
            from_customer=False,
            task_id=c.task_id,
            mentions=tuple(c.mentions),
        )
        for c in comments
    ]
    customer = [CommentEntry(m.received_at, m.sender, m.body, True) for m in messages]
    entries = staff + customer
    return sorted(entries, key=lambda e: e.at)


def mentioned_usernames(body: str) -> list[str]:
    return sorted({m.rstrip(".-") for m in MENTION.findall(body)})


def add_comment(
    session: Session, *, reference: str, data: CommentCreate, actor: Actor
) -> CommentPublic:
    require_permission(actor.role, Action.comment)
    assert actor.user_id is not None
    complaint = lock_complaint_by_id(session, id_of(get_complaint(session, reference)))
    if data.task_id is not None:
        _check_task_of(session, complaint, data.task_id)
    mentioned = _mentioned_users(session, data.body)
    author = session.get(User, actor.user_id)
    assert author is not None
    comment = Comment(
        case_id=id_of(complaint),
        task_id=data.task_id,
        author_id=actor.user_id,
        body=data.body.strip(),
        mentions=[u.username for u in mentioned],
        created_at=utcnow(),
    )
    session.add(comment)
    session.flush()
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.comment_added,
        changes={
            "comment_id": comment.id,
            "task_id": data.task_id,
            "mentions": comment.mentions,
            "comment_text": comment.body,
        },
    )
    _mail_mentioned(session, complaint, comment, author, mentioned)
    session.commit()
    return public(comment, author)


def _check_task_of(session: Session, complaint: Complaint, task_id: int) -> None:
    task = session.get(Task, task_id)
    if task is None or task.case_id != complaint.id:
        raise InvalidInput("task_id", f"task {task_id} is not a task of {complaint.reference}")


def _mentioned_users(session: Session, body: str) -> list[User]:
    names = mentioned_usernames(body)
    if not names:
        return []
    found = list(
        session.exec(
            select(User).where(col(User.username).in_(names), col(User.is_active).is_(True))
        )
    )
    unknown = sorted(set(names) - {u.username for u in found})
    if unknown:
        listed = ", ".join(f"@{name}" for name in unknown)
        raise InvalidInput("body", f"no active colleague is called {listed}: nobody was told")
    return found


def _mail_mentioned(
    session: Session, complaint: Complaint, comment: Comment, author: User, users: list[User]
) -> None:
    context = {
        "reference": complaint.reference,
        "product": complaint.product,
        "author_name": author.full_name or author.username,
        "comment_body": comment.body,
        "task_id": comment.task_id,
    }
    addresses = sorted({str(u.email) for u in users if u.id != author.id})
    notices.queue_to_addresses(
        session, complaint, NoticeKind.mention, addresses, context, f"comment-{comment.id}"
    )


def public(comment: Comment, author: User) -> CommentPublic:
    return CommentPublic(
        id=id_of(comment),
        task_id=comment.task_id,
        author=author.username,
        author_name=author.full_name,
        body=comment.body,
        mentions=comment.mentions,
        created_at=comment.created_at,
    )


def list_comments(session: Session, case_id: int) -> list[CommentPublic]:
    rows = session.exec(
        select(Comment, User)
        .join(User, col(User.id) == col(Comment.author_id))
        .where(Comment.case_id == case_id)
        .order_by(col(Comment.created_at), col(Comment.id))
    )
    return [public(comment, author) for comment, author in rows]
