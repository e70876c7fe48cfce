"""Domain errors, raised by the rules and the services and mapped to HTTP status codes in one
place (``api/errors.py``). No I/O: the rules module raises them too."""


class NotFound(Exception):
    """No such complaint, task or customer (404)."""


class NotAllowed(Exception):
    """The actor's role or department may not do this (403)."""


class RuleViolation(Exception):
    """A rule of the workflow forbids what was asked in the record's present state (409)."""


class StaleVersion(RuleViolation):
    """The record changed since the caller read it (409)."""


class IdempotencyKeyReused(Exception):
    """The same Idempotency-Key came with a different body (422)."""


class InvalidInput(ValueError):
    """Well-formed input that names something that does not exist or does not apply (422,
    field named)."""

    def __init__(self, field: str, message: str, location: str = "body") -> None:
        super().__init__(message)
        self.field = field
        self.location = location


__all__ = [
    "IdempotencyKeyReused",
    "InvalidInput",
    "NotAllowed",
    "NotFound",
    "RuleViolation",
    "StaleVersion",
]
