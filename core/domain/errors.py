"""Domain errors. Each carries `sentence`: what happened, in words a person in Slack understands.

    DomainError
    ├── IllegalTransition      the item is not in a state where that can happen
    │   └── AlreadyDecided     somebody else decided first (lost a race or clicked a stale card)
    ├── PermissionDenied       the person's level or grant does not allow it
    ├── ItemNotFound
    └── InvalidInput           a required value is missing or malformed (e.g. reject without reason)
"""

from __future__ import annotations


class DomainError(Exception):
    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


class IllegalTransition(DomainError):
    pass


class AlreadyDecided(IllegalTransition):
    pass


class PermissionDenied(DomainError):
    pass


class ItemNotFound(DomainError):
    pass


class InvalidInput(DomainError):
    pass
