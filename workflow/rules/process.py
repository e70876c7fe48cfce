"""A process as data: its states, the transitions between them, the event each emits.

The complaint is the first process (``rules.states``), the contract and order review the
second (``rules.review``); the engine asks a record's process, never a process by name.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from models.enums import Department
from workflow.errors import RuleViolation
from workflow.rules.permissions import Action, words

KEEP = "keep"  # a transition that leaves the department as it was
RESUME = "resume"  # target of the transition back to the status before a wait

S = TypeVar("S", bound=StrEnum)


@dataclass(frozen=True)
class Transition(Generic[S]):
    action: Action
    sources: frozenset[S]
    target: S | str
    department: Department | str | None
    event: StrEnum | None = None  # the outbox event the transition emits, if any


def transition(
    action: Action,
    sources: Iterable[S],
    target: S | str,
    department: Department | str | None,
    event: StrEnum | None = None,
) -> Transition[S]:
    return Transition(action, frozenset(sources), target, department, event)


@dataclass(frozen=True)
class ProcessDefinition(Generic[S]):
    """What the engine needs to move a record of one process."""

    name: str  # what a person calls one record: "complaint", "review"
    statuses: type[S]
    open_statuses: frozenset[S]
    transitions: Mapping[Action, Transition[S]]
    # The status that waits on the customer (what it came from is kept, for RESUME), and
    # where RESUME leads when nothing was kept.
    waiting: S | None = None
    resume_default: S | None = None

    def refusal(self, current: S, action: Action) -> RuleViolation | None:
        found = self.transitions.get(action)
        if found is None:
            return RuleViolation(f"{words(action)} is not a state change")
        if current not in found.sources:
            return RuleViolation(f"cannot {words(action)} a {self.name} that is {current.value}")
        return None

    def next_status(self, current: S, action: Action) -> Transition[S]:
        """The transition ``action`` makes from ``current``, or RuleViolation if none."""
        refusal = self.refusal(current, action)
        if refusal is not None:
            raise refusal
        return self.transitions[action]

    def is_open(self, status: S) -> bool:
        return status in self.open_statuses

    def actions_from(self, status: S) -> list[Action]:
        """The state changes possible from ``status``, whoever may take them."""
        return [a for a, t in self.transitions.items() if status in t.sources]

    def problems(self) -> list[str]:
        """What is inconsistent in the definition itself (checked by the tests)."""
        found = []
        for action, t in self.transitions.items():
            if t.action is not action:
                found.append(f"{action} is filed under another action's name")
            if not t.sources <= set(self.statuses):
                found.append(f"{action} starts from a status not of a {self.name}")
            if t.target not in {*self.statuses, RESUME}:
                found.append(f"{action} leads to {t.target!r}, not a status of a {self.name}")
        targets = {t.target for t in self.transitions.values()}
        for status in self.open_statuses:
            if not self.actions_from(status):
                found.append(f"an open {self.name} that is {status} can never move on")
        for status in set(self.statuses) - targets - self._entry_statuses():
            found.append(f"no transition leads to {status}")
        return found

    def _entry_statuses(self) -> set[S]:
        """Statuses a record is created in: sources that no transition leads to."""
        targets = {t.target for t in self.transitions.values()}
        return {s for t in self.transitions.values() for s in t.sources if s not in targets}
