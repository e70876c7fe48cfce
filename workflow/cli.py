"""The operator's command line: ``complaints --help``."""

import json
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from workflow.config import DEV_DEMO_PASSWORD, Settings, get_settings

app = typer.Typer(
    help="Complaint workflow: migrate, users, the stack, complaints.", no_args_is_help=True
)


def explain(error: Exception) -> str:
    """A refusal in words: for a validation error one line per field, without pydantic's
    links and without echoing what was typed (it may be a password)."""
    from pydantic import ValidationError

    if not isinstance(error, ValidationError):
        return str(error)
    lines = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "input"
        lines.append(f"{field}: {item['msg'].removeprefix('Value error, ')}")
    return "; ".join(lines)


@contextmanager
def configured_prefect() -> Iterator[None]:
    """Run flows against the Prefect server in the settings (CW_PREFECT_API_URL), never a
    temporary one Prefect would start on its own."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: get_settings().prefect_api_url}):
        yield


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
    password: Annotated[
        str | None, typer.Option(help="Asked for (hidden) when not given", show_default=False)
    ] = None,
) -> None:
    """Create a staff account. Everything else is checked before the password is asked for."""
    from pydantic import ValidationError

    from models.user import UserBase, UserCreate
    from workflow import users
    from workflow.db import read_session, write_session
    from workflow.errors import RuleViolation

    fields = {
        "username": username,
        "role": role,
        "email": email,
        "full_name": full_name or username,
        "department": department,
    }
    try:
        UserBase.model_validate(fields)
        with read_session() as session:
            users.check_username_free(session, username)
        if password is None:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        data = UserCreate.model_validate({**fields, "password": password})
        with write_session() as session:
            user = users.create_user(session, user_create=data)
    except (ValidationError, RuleViolation) as exc:
        typer.echo(f"cannot create {username}: {explain(exc)}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"created {user.username} ({user.role.value})")


@app.command("deactivate-user")
def deactivate_user(
    username: str,
    reason: Annotated[str, typer.Option(help="Why, for the account's change log")],
    by: Annotated[str, typer.Option(help="Who deactivates it")] = "command line",
) -> None:
    """Stop a staff account from signing in; its web sessions end at once. The last active
    admin cannot be deactivated (make another admin first)."""
    from workflow.db import write_session
    from workflow.errors import NotFound, RuleViolation
    from workflow.user_accounts import deactivate_by_username

    try:
        with write_session() as session:
            deactivate_by_username(session, username=username, by=by, reason=reason)
    except (NotFound, RuleViolation) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"deactivated {username}; their sessions are ended")


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
        typer.echo(f"policy not changed: {explain(exc)}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"policy for {step} set to {hours:g} h")


@app.command("import-products")
def import_products_file(
    path: Annotated[str, typer.Argument(help="CSV: part_number,name,family,active")],
    user: Annotated[str, typer.Option(help="The quality user or admin importing")] = "admin",
) -> None:
    """Import products from a CSV file (upsert by part number; all or nothing)."""
    from pathlib import Path

    from sqlmodel import select

    from models.user import User
    from workflow.db import write_session
    from workflow.errors import InvalidInput, NotAllowed
    from workflow.product_import import ImportRefused, import_products
    from workflow.transitions import actor_of_user

    try:
        content = Path(path).read_bytes()
        with write_session() as session:
            found = session.exec(select(User).where(User.username == user)).first()
            if found is None:
                raise NotAllowed(f"no user {user}")
            report = import_products(session, content=content, actor=actor_of_user(found))
    except ImportRefused as refused:
        for error in refused.errors:
            typer.echo(f"line {error.line}: {error.error}", err=True)
        typer.echo(f"nothing imported: {refused}", err=True)
        raise typer.Exit(1) from refused
    except (OSError, InvalidInput, NotAllowed) as exc:
        typer.echo(f"nothing imported: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{report.created} new, {report.updated} changed, {report.unchanged} unchanged")


@app.command()
def sweep() -> None:
    """Run the deadline sweep once (reminders and escalations that are due)."""
    import asyncio

    from flows.sweep_deadlines import sweep_deadlines

    with configured_prefect():
        report = asyncio.run(sweep_deadlines())
    typer.echo(report.model_dump_json())


@app.command("verify-history")
def verify_history() -> None:
    """Check the whole history chain and its checkpoints; exit 1 naming each problem."""
    from workflow.history_verify import verify_history as verify_whole_history

    result = verify_whole_history()
    for problem in result.problems:
        where = [f"entries {problem.first_entry}-{problem.last_entry}"]
        if problem.first_entry is None:
            where = []
        elif problem.first_entry == problem.last_entry:
            where = [f"entry {problem.first_entry}"]
        where += problem.references
        label = problem.kind.value.replace("_", " ").upper()
        typer.echo(f"{label} ({', '.join(where) or 'history'}): {problem.detail}", err=True)
    if result.problems_not_listed:
        typer.echo(f"... and {result.problems_not_listed} more problems", err=True)
    if not result.intact:
        raise typer.Exit(1)
    typer.echo(
        f"history intact: {result.entries} entries, {result.complaints} complaints, "
        f"checked against {result.checkpoints} checkpoints"
    )


@app.command("held-notices")
def list_held_notices() -> None:
    """Notices held for a person (delivery unknown, or retries given up)."""
    from notifications.ledger import held_notices
    from workflow.db import read_session

    with read_session() as session:
        notices = held_notices(session)
    if not notices:
        typer.echo("none: no notice is held")
    for n in notices:
        typer.echo(f"{n.id}\t{n.status.value}\t{n.kind.value}\t{n.recipient}\t{n.last_error}")


@app.command("resend-notice")
def resend(
    notice_id: int,
    reason: Annotated[str, typer.Option(help="What you checked before releasing it")],
    by: Annotated[str, typer.Option(help="Who releases it")] = "admin",
) -> None:
    """Release a held notice for one more attempt (the relay sends it)."""
    from workflow.delivery import release_notice
    from workflow.errors import NotFound, RuleViolation

    try:
        release_notice(notice_id, by=by, reason=reason)
    except (NotFound, RuleViolation) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"notice {notice_id} released")


@app.command("mark-notice-done")
def mark_done(
    notice_id: int,
    reason: Annotated[str, typer.Option(help="How you know it arrived, or how they were told")],
    by: Annotated[str, typer.Option(help="Who marks it done")] = "admin",
) -> None:
    """Mark a held notice done by hand: it counts as sent and is never tried again."""
    from workflow.delivery import mark_notice_done
    from workflow.errors import NotFound, RuleViolation

    try:
        mark_notice_done(notice_id, by=by, reason=reason)
    except (NotFound, RuleViolation) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"notice {notice_id} marked done")


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


@app.command("inbound-smtp")
def inbound_smtp() -> None:
    """Development: take mail sent to 127.0.0.1:CW_INBOUND_SMTP_PORT into the mail intake."""
    from workflow.inbound_smtp import InboundSmtp

    port = get_settings().inbound_smtp_port
    with InboundSmtp("127.0.0.1", port):
        typer.echo(f"inbound mail listener on 127.0.0.1:{port}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


@app.command()
def relay() -> None:
    """Run the event delivery process."""
    from flows.relay import main

    with configured_prefect():
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


def _stack_banner(settings: Settings, seconds: float) -> str:
    from workflow.users import DEMO_USERS

    return (
        f"\nStack up in {seconds:.0f} s.\n"
        f"  Web pages    http://{settings.api_host}:{settings.api_port}/\n"
        f"  API docs     http://{settings.api_host}:{settings.api_port}/api/v1/docs\n"
        f"  Prefect UI   {settings.prefect_api_url.removesuffix('/api')}\n"
        f"  SMTP catcher {settings.smtp_host}:{settings.smtp_port}, "
        f"mails in {settings.mail_dir}/\n"
        f"  Logs         {settings.var_dir}/logs/ (restarts: supervisor.log)\n"
        f"  Demo logins  {', '.join(u[0] for u in DEMO_USERS)}; password "
        f"'{DEV_DEMO_PASSWORD}' (development only)\n"
        "A part that dies is started again. Ctrl-C stops everything."
    )


@app.command()
def run(
    worker: Annotated[bool, typer.Option(help="Also serve prefect.yaml's deployments")] = True,
) -> None:
    """Migrate, seed the demo data and start the whole stack, supervised; Ctrl-C stops it."""
    from workflow.stack import SupervisedStack, launch_stack

    settings = get_settings()
    migrate()
    seed_demo()
    started = time.monotonic()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_like_ctrl_c)
    stack: SupervisedStack | None = None
    try:
        stack = launch_stack(settings, worker=worker)
        stack.wait_until_ready()
        _seed_demo_complaints()
        typer.echo(_stack_banner(settings, time.monotonic() - started))
        stack.supervisor.watch()
    except RuntimeError as exc:
        typer.echo(f"cannot start: {exc}", err=True)
        raise typer.Exit(1) from exc
    except KeyboardInterrupt:
        typer.echo("\nstopping ...")
    finally:
        if stack is not None:
            stack.stop()


if __name__ == "__main__":
    app()
