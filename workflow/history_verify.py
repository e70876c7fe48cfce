"""Verify the history: every entry of the one chain, streamed in order, and every checkpoint.

Each entry is in one of these states, from its two HMACs (``workflow.history``):

- genuine: both verify;
- edited: its fields changed, its place in the chain did not (``content_mac`` fails);
- foreign: neither verifies, nobody with the key sealed it;
- re-linked: its fields are genuine but its place or link changed (after a rewrite before it);
- unknown key: sealed with a key id the settings do not hold.

Consecutive bad entries are reported as one problem: a *rewritten entry* when genuine history
is known to have stood there (an edited or re-linked entry in the run, a genuine entry after
it, or a checkpoint at or after it), otherwise a *forged entry* (entries at the end of the
chain sealed by nobody with the key; a checkpoint made before the tampering tells the two
apart). Gaps in ``chain_seq`` are *missing entries*; a chain ending before the head the
database recorded or before a checkpoint is a *truncated end*; a complaint without its first
entry had its history removed.
"""

import hmac
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import exists, func, select
from sqlmodel import Session, col

from models.base import table_of
from models.complaint import Complaint
from models.history import HistoryEntry, HistoryHead
from workflow.db import get_engine
from workflow.history import GENESIS, HEAD_ROW, content_mac, history_keys, link_mac
from workflow.history_checkpoints import Checkpoint, by_position, file_checkpoints
from workflow.personal_data import altered_values, load_values, referenced_ids

STATE_WORDS = {
    "edited": "fields edited",
    "foreign": "resealed without the key",
    "re-linked": "genuine fields moved or re-linked",
}
MAX_LISTED = 1_000
MAX_REFERENCES = 10
STREAM_BATCH = 2_000


class ProblemKind(StrEnum):
    rewritten_entry = "rewritten_entry"
    forged_entry = "forged_entry"
    missing_entries = "missing_entries"
    truncated_end = "truncated_end"
    history_removed = "complaint_history_removed"
    unknown_key = "unknown_key"
    unreadable_checkpoint = "unreadable_checkpoint"
    altered_personal_value = "altered_personal_value"


@dataclass
class Problem:
    kind: ProblemKind
    detail: str
    first_entry: int | None = None
    last_entry: int | None = None
    complaint_ids: list[int] = field(default_factory=list)
    references: list[str] = field(default_factory=list)


@dataclass
class Verification:
    entries: int
    complaints: int
    checkpoints: int
    problems: list[Problem]
    problems_not_listed: int = 0

    @property
    def intact(self) -> bool:
        return not self.problems


@dataclass
class _Run:
    """Consecutive entries that do not verify."""

    first: int
    last: int
    states: set[str] = field(default_factory=set)
    complaint_ids: list[int] = field(default_factory=list)
    key_ids: set[str] = field(default_factory=set)

    def add(self, row: Mapping[str, Any], state: str) -> None:
        self.last = row["chain_seq"]
        self.states.add(state)
        if state == "unknown key":
            self.key_ids.add(row["key_id"])
        known = row["case_id"] in self.complaint_ids
        if not known and len(self.complaint_ids) < MAX_REFERENCES:
            self.complaint_ids.append(row["case_id"])


def _span(first: int, last: int) -> str:
    return f"entry {first}" if first == last else f"entries {first}-{last}"


class _Problems:
    """The problems found, the first MAX_LISTED of them kept: a table rewritten wholesale
    must not fill the verifier's memory."""

    def __init__(self) -> None:
        self.listed: list[Problem] = []
        self.not_listed = 0

    def append(self, problem: Problem) -> None:
        if len(self.listed) < MAX_LISTED:
            self.listed.append(problem)
        else:
            self.not_listed += 1


class _ChainWalker:
    def __init__(
        self, keys: dict[str, bytes], checkpoints: dict[int, list[Checkpoint]], found: _Problems
    ) -> None:
        self.keys = keys
        self.checkpoints = checkpoints
        self.last_checkpointed = max(checkpoints, default=0)
        self.last_seq, self.last_hash = 0, GENESIS
        self.entries = 0
        self.run: _Run | None = None
        self.problems = found

    def state_of(self, row: Mapping[str, Any]) -> str:
        key = self.keys.get(row["key_id"])
        if key is None:
            return "unknown key"
        fields_ok = hmac.compare_digest(content_mac(key, row), row["content_mac"])
        link = link_mac(key, row["chain_seq"], row["prev_hash"], row["content_mac"])
        link_ok = hmac.compare_digest(link, row["hash"])
        if fields_ok:
            return "genuine" if link_ok else "re-linked"
        return "edited" if link_ok else "foreign"

    def see(self, row: Mapping[str, Any]) -> None:
        self.entries += 1
        position, state = row["chain_seq"], self.state_of(row)
        if position > self.last_seq + 1:
            self._close_run(genuine_after=state == "genuine")
            self.problems.append(
                Problem(
                    ProblemKind.missing_entries,
                    f"{_span(self.last_seq + 1, position - 1)} missing: the chain jumps from "
                    f"entry {self.last_seq} to entry {position}",
                    self.last_seq + 1,
                    position - 1,
                )
            )
        elif position <= self.last_seq:
            state = "foreign"  # a second entry at one position: the unique index was dropped
        elif state == "genuine" and row["prev_hash"] != self.last_hash and self.run is None:
            self.problems.append(
                Problem(
                    ProblemKind.rewritten_entry,
                    f"entry {position} was sealed after another entry {position - 1}",
                    position - 1,
                    position - 1,
                )
            )
        self._track(row, state)
        self._compare_with_checkpoints(row)
        self.last_seq, self.last_hash = max(position, self.last_seq), row["hash"]

    def _track(self, row: Mapping[str, Any], state: str) -> None:
        if state == "genuine":
            self._close_run(genuine_after=True)
            return
        if self.run and ("unknown key" in self.run.states) != (state == "unknown key"):
            self._close_run(genuine_after=False)
        if self.run is None:
            self.run = _Run(row["chain_seq"], row["chain_seq"])
        self.run.add(row, state)

    def _compare_with_checkpoints(self, row: Mapping[str, Any]) -> None:
        differing = [
            f"{c.taken_at} ({c.source})"
            for c in self.checkpoints.get(row["chain_seq"], ())
            if c.hash != row["hash"]
        ]
        if differing:
            self.problems.append(
                Problem(
                    ProblemKind.rewritten_entry,
                    f"entry {row['chain_seq']} has another hash than the checkpoint of "
                    + ", ".join(differing),
                    row["chain_seq"],
                    row["chain_seq"],
                    [row["case_id"]],
                )
            )

    def _close_run(self, *, genuine_after: bool) -> None:
        run, self.run = self.run, None
        if run is None:
            return
        span = _span(run.first, run.last)
        if run.states == {"unknown key"}:
            kind = ProblemKind.unknown_key
            detail = (
                f"{span} sealed with key id {', '.join(sorted(run.key_ids))}, which the "
                "settings do not hold (a retired key missing from CW_HISTORY_RETIRED_KEYS, "
                "or a forged key id)"
            )
        elif (
            genuine_after
            or run.states & {"edited", "re-linked"}
            or run.first <= self.last_checkpointed
        ):
            kind = ProblemKind.rewritten_entry
            how = ", ".join(STATE_WORDS[state] for state in sorted(run.states))
            detail = f"{span} changed after they were written: {how}"
        else:
            kind = ProblemKind.forged_entry
            detail = (
                f"{span} at the end of the chain were sealed by nobody holding the history key: "
                "appended by someone without it (or rewritten together with every entry after "
                "them; only a checkpoint made before could tell)"
            )
        self.problems.append(Problem(kind, detail, run.first, run.last, run.complaint_ids))

    def finish(self, head_seq: int) -> None:
        self._close_run(genuine_after=False)
        expected, evidence = head_seq, "the database's chain head"
        if self.last_checkpointed > expected:
            latest = self.checkpoints[self.last_checkpointed][-1]
            expected = self.last_checkpointed
            evidence = f"the checkpoint of {latest.taken_at} ({latest.source})"
        if expected > self.last_seq:
            self.problems.append(
                Problem(
                    ProblemKind.truncated_end,
                    f"the chain ends at entry {self.last_seq} but {evidence} records entry "
                    f"{expected}",
                    self.last_seq + 1,
                    expected,
                )
            )


def _stream_entries(session: Session) -> Iterable[Mapping[str, Any]]:
    columns = [c for c in table_of(HistoryEntry).columns if c.name != "id"]
    query = select(*columns).order_by(col(HistoryEntry.chain_seq))
    for row in session.execute(query.execution_options(yield_per=STREAM_BATCH)):
        yield dict(row._mapping)


def _complaints_without_history(session: Session) -> Iterator[Problem]:
    logged = col(HistoryEntry.case_id) == col(Complaint.id)
    has_any = exists().where(logged)
    has_first = exists().where(logged, col(HistoryEntry.seq) == 1)
    query = select(col(Complaint.id), col(Complaint.reference), has_any).where(~has_first)
    for complaint_id, reference, any_left in session.execute(query):
        detail = (
            "its first entry (the one that logged it) is missing"
            if any_left
            else "it has no history at all, yet every complaint keeps the entry that logged it"
        )
        yield Problem(
            ProblemKind.history_removed,
            detail,
            complaint_ids=[complaint_id],
            references=[reference],
        )


def _name_complaints(session: Session, problems: list[Problem]) -> None:
    wanted = {i for p in problems if not p.references for i in p.complaint_ids}
    if not wanted:
        return
    rows = session.execute(
        select(col(Complaint.id), col(Complaint.reference)).where(col(Complaint.id).in_(wanted))
    )
    names = dict(rows.tuples().all())
    for problem in problems:
        if not problem.references:
            problem.references = [names.get(i, f"complaint id {i}") for i in problem.complaint_ids]


def _check_personal_values(
    session: Session, rows: list[Mapping[str, Any]], found: "_Problems"
) -> None:
    """The values an entry refers to must still be what it sealed, unless erased."""
    wanted = (i for r in rows for i in referenced_ids(r["changes"], r["reason"]))
    values = load_values(session, wanted)
    for row in rows:
        for detail in altered_values(row["changes"], row["reason"], values):
            found.append(
                Problem(
                    ProblemKind.altered_personal_value,
                    f"entry {row['chain_seq']}: {detail}",
                    row["chain_seq"],
                    row["chain_seq"],
                    [row["case_id"]],
                )
            )


def _verify(session: Session, in_file: list[Checkpoint], unreadable: list[str]) -> Verification:
    head_seq = session.execute(
        select(col(HistoryHead.seq)).where(col(HistoryHead.id) == HEAD_ROW)
    ).scalar_one_or_none()
    checkpoints = by_position(session, in_file)
    count = sum(len(found_at) for found_at in checkpoints.values())
    found = _Problems()
    for line in unreadable:
        found.append(Problem(ProblemKind.unreadable_checkpoint, line))
    walker = _ChainWalker(history_keys(), checkpoints, found)
    batch: list[Mapping[str, Any]] = []
    for row in _stream_entries(session):
        walker.see(row)
        batch.append(row)
        if len(batch) >= STREAM_BATCH:
            _check_personal_values(session, batch, found)
            batch = []
    _check_personal_values(session, batch, found)
    walker.finish(head_seq or 0)
    for problem in _complaints_without_history(session):
        found.append(problem)
    _name_complaints(session, found.listed)
    complaints = session.execute(select(func.count()).select_from(Complaint)).scalar_one()
    return Verification(walker.entries, complaints, count, found.listed, found.not_listed)


def verify_history() -> Verification:
    """Check the whole history in one consistent snapshot of the database."""
    in_file, unreadable = file_checkpoints()
    engine = get_engine()
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            snapshot = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
            session.connection(execution_options=snapshot)
        return _verify(session, in_file, unreadable)
