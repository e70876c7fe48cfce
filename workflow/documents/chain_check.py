"""One complaint's part of the history chain, checked for its dossier.

The whole chain is verified by ``workflow.history_verify`` (every entry, every checkpoint); a
dossier needs an answer for its complaint in the time a page takes, so this checks only that
complaint's entries: each entry's seals under the history keys, its ``seq`` following the one
before from 1 without a gap, and its link to the chain entry just before it (which may belong to
another complaint)."""

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from models.base import table_of
from models.history import HistoryEntry
from workflow.history import GENESIS, content_mac, history_keys, link_mac
from workflow.personal_data import altered_values, load_values, referenced_ids


@dataclass
class ChainCheck:
    entries: int
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    @property
    def summary(self) -> str:
        if self.intact:
            return (
                f"Verified: all {self.entries} history entries of this complaint carry valid "
                "seals, follow each other without a gap and link to the chain before them."
            )
        return f"NOT VERIFIED: {len(self.problems)} problem(s) in {self.entries} entries."


def _seal_problem(row: Mapping[str, Any], keys: dict[str, bytes]) -> str | None:
    key = keys.get(row["key_id"])
    if key is None:
        return f"entry {row['seq']} is sealed with a key the settings do not hold"
    if not hmac.compare_digest(content_mac(key, row), row["content_mac"]):
        return f"entry {row['seq']}: its fields were changed after it was written"
    link = link_mac(key, row["chain_seq"], row["prev_hash"], row["content_mac"])
    if not hmac.compare_digest(link, row["hash"]):
        return f"entry {row['seq']}: its place in the chain was changed"
    return None


def check_complaint_chain(session: Session, complaint_id: int) -> ChainCheck:
    columns = [c for c in table_of(HistoryEntry).columns if c.name != "id"]
    rows = [
        dict(r._mapping)
        for r in session.execute(
            select(*columns)
            .where(col(HistoryEntry.case_id) == complaint_id)
            .order_by(col(HistoryEntry.seq))
        )
    ]
    before = {r["chain_seq"] - 1 for r in rows if r["chain_seq"] > 1}
    hashes = dict(
        session.execute(
            select(col(HistoryEntry.chain_seq), col(HistoryEntry.hash)).where(
                col(HistoryEntry.chain_seq).in_(before)
            )
        )
        .tuples()
        .all()
    )
    hashes[0] = GENESIS
    keys = history_keys()
    check = ChainCheck(entries=len(rows))
    if not rows:
        check.problems.append("the complaint has no history, yet its first entry must be kept")
    for expected_seq, row in enumerate(rows, start=1):
        if row["seq"] != expected_seq:
            check.problems.append(f"entries missing before entry {row['seq']}")
            break
    for row in rows:
        problem = _seal_problem(row, keys)
        if problem is None and hashes.get(row["chain_seq"] - 1) != row["prev_hash"]:
            problem = f"entry {row['seq']} does not link to the chain entry before it"
        if problem:
            check.problems.append(problem)
    check.problems.extend(_altered_personal_values(session, rows))
    return check


def _altered_personal_values(session: Session, rows: list[dict[str, Any]]) -> list[str]:
    values = load_values(
        session, (i for r in rows for i in referenced_ids(r["changes"], r["reason"]))
    )
    return [
        f"entry {row['seq']}: {problem}"
        for row in rows
        for problem in altered_values(row["changes"], row["reason"], values)
    ]
