"""The wizard's steps, one Screen per module, in order (see :data:`STEPS`)."""

from __future__ import annotations

#: Step titles in order; a screen's ``STEP`` is its 1-based index here.
STEPS = ("System", "Packages", "Memory", "Dump target", "Review", "Apply", "Reboot", "Verify")


#: Columns from which the step list stands beside the content (below it, the header carries it).
STEP_LIST_MIN_WIDTH = 100


def step_list(current: int) -> str:
    """All eight steps, done / current / to do, in ASCII: ``[x] System``, ``[>] Memory``, ``[ ] Review``."""
    return "\n".join(("[x]" if i < current else "[>]" if i == current else "[ ]") + f" {i} {title}"
                     for i, title in enumerate(STEPS, 1))


def step_progress(current: int) -> str:
    """The same in eight characters for a narrow header: ``[==>.....]``."""
    return "[" + "".join("=" if i < current else ">" if i == current else "." for i in range(1, len(STEPS) + 1)) + "]"
