"""The complaints mailbox, read every minute (prefect.yaml): new mails become complaints,
replies join theirs, robots' mails make nothing (``workflow/mail_intake.py``). Safe to run
twice or after a crash: each mail is taken once, and flagged on the server after its commit.
"""

import asyncio

from prefect import flow, get_run_logger

from workflow.mailbox import MailboxRun, read_mailbox


@flow(name="read-mailbox", flow_run_name="read the complaints mailbox")
async def read_mailbox_flow() -> dict[str, int]:
    run: MailboxRun = await asyncio.to_thread(read_mailbox)
    if run.read:
        get_run_logger().info("read %d mails: %s", run.read, run.outcomes)
    return run.outcomes
