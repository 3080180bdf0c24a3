"""The wizard's steps, one Screen per module, in order (see :data:`STEPS`)."""

from __future__ import annotations

#: Step titles in order; a screen's ``STEP`` is its 1-based index here.
STEPS = ("System", "Packages", "Memory", "Dump target", "Review", "Apply", "Reboot", "Verify")
