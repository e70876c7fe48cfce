"""Domain errors, raised by the services and mapped to HTTP status codes in ``api/errors.py``."""

from workflow.rules import NotAllowed, RuleViolation


class NotFound(Exception):
    """No such complaint, task or customer (404)."""


class StaleVersion(RuleViolation):
    """The record changed since the caller read it (409)."""


class IdempotencyKeyReused(Exception):
    """The same Idempotency-Key came with a different body (422)."""


__all__ = ["IdempotencyKeyReused", "NotAllowed", "NotFound", "RuleViolation", "StaleVersion"]
