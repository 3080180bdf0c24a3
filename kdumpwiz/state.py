"""The wizard's one shared state object, owned by the app.

Plain data (no textual imports): each step reads it when it is composed and
writes it only when the admin moves on after validation, so Back/Next keeps
everything and the engine consumes it without knowing about screens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

from .engine.answers import Answers
from .engine.apply import ApplyResult
from .engine.detect import detect
from .engine.facts import Facts
from .engine.host import Host
from .engine.plan import Plan
from .engine.sizing import Suggestion
from .engine.verify import Verification


@dataclass
class WizardState:
    """Everything the steps share."""

    host: Host
    """The machine being configured (the user's demo machine with ``--demo``)."""
    facts: Facts
    """What detection found; refreshed after a (simulated) reboot."""
    answers: Answers = field(default_factory=Answers)
    """What the admin decided so far (pre-filled from ``--answers``)."""
    suggestion: Optional[Suggestion] = None
    """The sizing suggestion for this machine."""
    plan: Optional[Plan] = None
    """The plan shown on Review; Apply executes exactly this object."""
    apply_result: Optional[ApplyResult] = None
    """Set when Apply finished."""
    apply_error: Optional[str] = None
    """The message of a failed apply."""
    verification: Optional[Verification] = None
    """The last verification result."""
    demo: bool = False
    """True with ``--demo``: commands are recorded, the reboot is simulated."""
    ascii: bool = False
    """True when every character drawn must be ASCII (TERM=linux/vt100, --ascii)."""
    log: List[str] = field(default_factory=list)
    """Progress lines of the last apply or rollback."""
    skip_commands: bool = False
    """``--skip-commands``: apply, finish and rollback write files only (images, chroots)."""
    arch: Optional[str] = None
    """``--arch`` as given: every re-detection must see the same machine."""
    ram: Optional[int] = None
    """``--ram`` (offline images) as given, for the same reason."""

    def fresh_facts(self) -> Facts:
        """Detect again with the same overrides, without storing (safe in a worker thread)."""
        return detect(self.host, arch=self.arch, ram=self.ram)

    def redetect(self) -> Facts:
        """Detect again (after a reboot, a crash) and store the result; main thread only."""
        self.facts = self.fresh_facts()
        return self.facts
