"""Messages that cross components (worker -> screen).

Dataclass messages, named for what happened, as in posting/harlequin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from textual.message import Message

if TYPE_CHECKING:  # pragma: no cover - the app's module must not import the engine (kdumpwiz/app.py)
    from .engine.facts import Facts
    from .engine.targetcheck import TargetReport
    from .engine.verify import Verification
    from .state import WizardState


@dataclass
class WizardStarted(Message):
    """The start worker detected the machine: the shared state, or the error that ends the wizard."""

    state: "Optional[WizardState]"
    error: "Optional[BaseException]"


@dataclass
class ApplyProgressed(Message):
    """One step of an apply or rollback finished (a file written, a command started...)."""

    kind: str
    text: str


@dataclass
class ApplyFinished(Message):
    """An apply or rollback ended; ``error`` is None on success."""

    operation: str
    error: Optional[str]


@dataclass
class Verified(Message):
    """A verification run (fresh detection + the armed chain) finished in a worker."""

    facts: Facts
    result: Verification


@dataclass
class TargetTested(Message):
    """A dump-target test (engine.targetcheck) finished in a worker."""

    report: TargetReport
