"""Checkpoints of the history chain's head, scheduled hourly and daily (prefect.yaml)."""

from prefect import flow, get_run_logger, task

from workflow.clock import utcnow
from workflow.db import write_session
from workflow.history_checkpoints import write_checkpoint


@task(task_run_name="history checkpoint")
def record_history_checkpoint() -> int | None:
    """Write the head to the checkpoint table and file; its position (None: empty history)."""
    with write_session() as session:
        checkpoint = write_checkpoint(session)
        session.commit()
    if checkpoint is None:
        get_run_logger().info("the history is empty: nothing to checkpoint")
        return None
    get_run_logger().info("history: entry %s, hash %s", checkpoint.chain_seq, checkpoint.hash)
    return checkpoint.chain_seq


def _run_name() -> str:
    return f"history checkpoint {utcnow():%Y-%m-%d %H:%M}"


@flow(name="checkpoint-history", flow_run_name=_run_name, log_prints=False)
def checkpoint_history() -> int | None:
    """Publish the chain's head so a later truncation or rewrite of the tables shows."""
    return record_history_checkpoint()
