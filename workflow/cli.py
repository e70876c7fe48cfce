"""The operator's command line: ``complaints --help``."""

import json
import signal
import time
from typing import Annotated

import typer

from workflow.config import DEV_DEMO_PASSWORD, get_settings

app = typer.Typer(
    help="Complaint workflow: migrate, users, the stack, complaints.", no_args_is_help=True
)


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest migration."""
    from alembic import command
    from alembic.config import Config

    from workflow.stack import PROJECT_DIR

    config = Config(str(PROJECT_DIR / "alembic.ini"))
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")
    typer.echo("database migrated")


@app.command("create-user")
def create_user(
    username: str,
    role: str,
    email: str,
    full_name: Annotated[str, typer.Option()] = "",
    department: Annotated[str | None, typer.Option()] = None,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)] = "",
) -> None:
    """Create a staff account."""
    from pydantic import ValidationError

    from models.user import UserCreate
    from workflow import users
    from workflow.db import write_session
    from workflow.errors import RuleViolation

    try:
        data = UserCreate(
            username=username,
            role=role,
            email=email,  # type: ignore[arg-type]
            full_name=full_name or username,
            department=department,  # type: ignore[arg-type]
            password=password,
        )
        with write_session() as session:
            user = users.create_user(session, user_create=data)
    except (ValidationError, RuleViolation) as exc:
        typer.echo(f"cannot create {username}: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"created {user.username} ({user.role.value})")


@app.command("seed-demo")
def seed_demo() -> None:
    """Create the demo users (development only)."""
    from workflow import users
    from workflow.db import write_session

    with write_session() as session:
        created = users.seed_demo_users(session)
    typer.echo(f"demo users created: {', '.join(created) or 'none (already there)'}")


@app.command()
def show(reference: str) -> None:
    """Print a complaint's whole record as JSON."""
    from workflow.db import read_session
    from workflow.errors import NotFound
    from workflow.queries import complaint_record

    with read_session() as session:
        try:
            record = complaint_record(session, reference)
        except NotFound as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
    typer.echo(json.dumps(record.model_dump(mode="json"), indent=2))


@app.command()
def policies() -> None:
    """List the deadline policies in force."""
    from workflow.db import read_session
    from workflow.policies import list_policies

    with read_session() as session:
        for p in list_policies(session):
            scope = f"{p.step.value} kind={p.kind or '*'} severity={p.severity or '*'}"
            unit = "business h" if p.business_time else "h"
            typer.echo(
                f"{scope:<58} {p.hours:>7g} {unit}; reminder at {p.reminder_fraction:.0%}; "
                f"escalate every {p.escalation_interval_hours:g} {unit}  ({p.source})"
            )


@app.command("set-policy")
def set_policy(
    step: str,
    hours: float,
    reason: Annotated[str, typer.Option(help="Why the policy changes")],
    kind: Annotated[str | None, typer.Option()] = None,
    severity: Annotated[str | None, typer.Option()] = None,
    wall_time: Annotated[bool, typer.Option(help="Count wall-clock hours")] = False,
    reminder_fraction: Annotated[float, typer.Option()] = 0.75,
    escalation_interval_hours: Annotated[float, typer.Option()] = 4.0,
    admin: Annotated[str, typer.Option(help="The admin making the change")] = "admin",
) -> None:
    """Override a deadline policy (applies to steps started from now on)."""
    from pydantic import ValidationError
    from sqlmodel import select

    from models.deadline import PolicyChange
    from models.user import User
    from workflow.db import write_session
    from workflow.errors import NotAllowed
    from workflow.policies import change_policy
    from workflow.transitions import actor_of_user

    try:
        change = PolicyChange.model_validate(
            {
                "step": step,
                "kind": kind,
                "severity": severity,
                "hours": hours,
                "business_time": not wall_time,
                "reminder_fraction": reminder_fraction,
                "escalation_interval_hours": escalation_interval_hours,
                "reason": reason,
            }
        )
        with write_session() as session:
            user = session.exec(select(User).where(User.username == admin)).first()
            if user is None:
                raise NotAllowed(f"no user {admin}")
            change_policy(session, change=change, actor=actor_of_user(user))
    except (ValidationError, NotAllowed) as exc:
        typer.echo(f"policy not changed: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"policy for {step} set to {hours:g} h")


@app.command()
def sweep() -> None:
    """Run the deadline sweep once (reminders and escalations that are due)."""
    import asyncio

    from flows.sweep_deadlines import sweep_deadlines

    report = asyncio.run(sweep_deadlines())
    typer.echo(report.model_dump_json())


@app.command("verify-history")
def verify_history() -> None:
    """Recompute the hash chain of every complaint's history; exit 1 naming broken rows."""
    from workflow.db import read_session
    from workflow.history import verify_all_chains

    with read_session() as session:
        checked, broken = verify_all_chains(session)
        if broken:
            from models.complaint import Complaint

            for complaint_id, seq in broken:
                complaint = session.get(Complaint, complaint_id)
                name = complaint.reference if complaint else f"complaint id {complaint_id}"
                typer.echo(f"BROKEN {name}: history entry {seq} does not verify", err=True)
            raise typer.Exit(1)
    typer.echo(f"history intact: {checked} complaints verified")


@app.command("held-notices")
def list_held_notices() -> None:
    """Notices held for a person (delivery unknown, or retries given up)."""
    from notifications.ledger import held_notices
    from workflow.db import read_session

    with read_session() as session:
        for n in held_notices(session):
            typer.echo(f"{n.id}\t{n.status.value}\t{n.kind.value}\t{n.recipient}\t{n.last_error}")


@app.command("resend-notice")
def resend(
    notice_id: int,
    reason: Annotated[str, typer.Option(help="What you checked before releasing it")],
    by: Annotated[str, typer.Option(help="Who releases it")] = "admin",
) -> None:
    """Release a held notice for one more attempt (the relay sends it)."""
    from notifications.ledger import resend_notice
    from workflow.errors import NotFound, RuleViolation

    try:
        resend_notice(notice_id, by=by, reason=reason)
    except (NotFound, RuleViolation) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"notice {notice_id} released")


@app.command("failed-events")
def list_failed_events() -> None:
    """Outbox events parked after their attempts ran out ("none" when there are none)."""
    from workflow.db import read_session
    from workflow.outbox import failed_events

    with read_session() as session:
        parked = failed_events(session)
        for event, reference in parked:
            typer.echo(
                f"{event.id}\t{reference}\t{event.kind}\t{event.attempts} attempts\t"
                f"{event.failed_at:%Y-%m-%d %H:%M:%S} UTC\t{event.last_error}"
            )
    if not parked:
        typer.echo("none")


@app.command("retry-event")
def retry_failed_event(
    event_id: str,
    reason: Annotated[str, typer.Option(help="What was fixed before retrying it")],
    by: Annotated[str, typer.Option(help="Who retries it")] = "admin",
) -> None:
    """Send a parked event round again (the relay routes it), with a fresh count of attempts."""
    from workflow.errors import NotFound, RuleViolation
    from workflow.outbox import retry_event

    try:
        retry_event(event_id, by=by, reason=reason)
    except (NotFound, RuleViolation) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"event {event_id} retried")


@app.command()
def smtp() -> None:
    """Run the local SMTP catcher; mails are stored under var/mail/ as .eml files."""
    from notifications.smtp_catcher import SmtpCatcher

    settings = get_settings()
    with SmtpCatcher(settings.smtp_host, settings.smtp_port, settings.mail_dir):
        typer.echo(f"SMTP catcher on {settings.smtp_host}:{settings.smtp_port}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


@app.command()
def relay() -> None:
    """Run the event delivery process."""
    from flows.relay import main

    main()


def _stop_like_ctrl_c(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _seed_demo_complaints() -> None:
    from workflow import demo
    from workflow.db import write_session

    with write_session() as session:
        references = demo.seed_demo_complaints(session)
    if references:
        typer.echo(f"demo complaints logged: {', '.join(references)}")


@app.command()
def run(
    worker: Annotated[bool, typer.Option(help="Also serve prefect.yaml's deployments")] = True,
) -> None:
    """Migrate, seed the demo data and start the whole stack; Ctrl-C stops it."""
    from workflow.stack import start_stack, start_worker

    settings = get_settings()
    migrate()
    seed_demo()
    started = time.monotonic()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_like_ctrl_c)
    try:
        stack = start_stack(settings)
    except RuntimeError as exc:
        typer.echo(f"cannot start: {exc}", err=True)
        raise typer.Exit(1) from exc
    try:
        if worker:
            start_worker(stack)
        _seed_demo_complaints()
        typer.echo(
            f"\nStack up in {time.monotonic() - started:.0f} s.\n"
            f"  Web pages    http://{settings.api_host}:{settings.api_port}/\n"
            f"  API docs     http://{settings.api_host}:{settings.api_port}/api/v1/docs\n"
            f"  Prefect UI   {settings.prefect_api_url.removesuffix('/api')}\n"
            f"  SMTP catcher {settings.smtp_host}:{settings.smtp_port}, "
            f"mails in {settings.mail_dir}/\n"
            f"  Logs         {settings.var_dir}/logs/\n"
            f"  Demo logins  sales, quality, technical, manager, gm, admin; password "
            f"'{DEV_DEMO_PASSWORD}' (development only)\n"
            "Ctrl-C stops everything."
        )
        while not stack.dead():
            time.sleep(1)
        typer.echo(f"stopped: {', '.join(stack.dead())} exited; see {settings.var_dir}/logs/")
    except KeyboardInterrupt:
        typer.echo("\nstopping ...")
    finally:
        stack.stop()


if __name__ == "__main__":
    app()
