"""Checkpoints of the history chain's head, kept where a database owner cannot reach them all.

Each checkpoint (position, hash, time) goes to the ``history_checkpoint`` table and, as one
JSON line, to an append-only file (``CW_HISTORY_CHECKPOINT_FILE``); the managers' digest
prints the head too. Someone who rewrites the tables can delete the table's checkpoints, not
the file's lines nor the mails: a chain shorter than a checkpoint, or with another hash at a
checkpointed position, is found by ``workflow.history_verify``.
"""

import json
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session, col

from models.history import HistoryCheckpoint, HistoryEntry
from workflow.clock import utcnow
from workflow.config import get_settings


@dataclass(frozen=True)
class Checkpoint:
    chain_seq: int
    hash: str
    taken_at: str
    source: str


def chain_head(session: Session) -> HistoryEntry | None:
    """The last entry of the chain (None while the history is empty)."""
    query = select(HistoryEntry).order_by(col(HistoryEntry.chain_seq).desc()).limit(1)
    return session.execute(query).scalars().first()


def _append_line(path: Path, checkpoint: HistoryCheckpoint) -> None:
    line = json.dumps(
        {
            "entry": checkpoint.chain_seq,
            "hash": checkpoint.hash,
            "at": checkpoint.taken_at.isoformat(),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        log.write(line + "\n")
        log.flush()
        os.fsync(log.fileno())


def write_checkpoint(session: Session) -> HistoryCheckpoint | None:
    """Record the chain's head in the table and the file; the caller commits."""
    head = chain_head(session)
    if head is None:
        return None
    checkpoint = HistoryCheckpoint(chain_seq=head.chain_seq, hash=head.hash, taken_at=utcnow())
    session.add(checkpoint)
    session.flush()
    _append_line(get_settings().history_checkpoint_path, checkpoint)
    return checkpoint


def file_checkpoints() -> tuple[list[Checkpoint], list[str]]:
    """The file's checkpoints, and a line for each line that is not one."""
    path = get_settings().history_checkpoint_path
    if not path.exists():
        return [], []
    found, unreadable = [], []
    with path.open(encoding="utf-8") as log:
        for number, line in enumerate(log, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                found.append(
                    Checkpoint(
                        int(record["entry"]),
                        str(record["hash"]),
                        str(record["at"]),
                        f"{path.name} line {number}",
                    )
                )
            except (ValueError, KeyError, TypeError):
                unreadable.append(f"{path} line {number} is not a checkpoint: {line.strip()[:80]}")
    return found, unreadable


def by_position(session: Session, in_file: list[Checkpoint]) -> dict[int, list[Checkpoint]]:
    """The table's checkpoints and the file's (read before the session's snapshot: a line is
    only written once its entry is committed), by position."""
    rows = session.execute(
        select(
            col(HistoryCheckpoint.chain_seq),
            col(HistoryCheckpoint.hash),
            col(HistoryCheckpoint.taken_at),
        )
    )
    in_table = [
        Checkpoint(seq, digest, at.isoformat(), "checkpoint table") for seq, digest, at in rows
    ]
    positions: dict[int, list[Checkpoint]] = defaultdict(list)
    for checkpoint in (*in_table, *in_file):
        positions[checkpoint.chain_seq].append(checkpoint)
    return dict(positions)
