"""When a shape of the sizing sweep is settled: shared by bench/sizing/sweep and bench/sizing/report."""

from __future__ import annotations

from typing import List, Optional

MIB = 1 << 20
#: The sweep's grid: every crash trial's crashkernel= is a multiple of this.
GRID = 16 * MIB


def smallest_capturing(shape_trials: List[dict]) -> Optional[int]:
    """The smallest capturing size of one shape, or None while it is not settled.

    Settled means: a capture at X, and a failure one grid step below X, or X is
    already the smallest grid size that loads (the last probe's ``min_loads``).
    """
    probe = next((t for t in reversed(shape_trials) if t["kind"] == "probe"), None)
    ok = sorted(t["bytes"] for t in shape_trials if t["kind"] == "crash" and t["outcome"] == "captured")
    bad = {t["bytes"] for t in shape_trials if t["kind"] == "crash" and t["outcome"] != "captured"}
    if not ok or probe is None or probe.get("min_loads") is None:
        return None
    lo = -(-probe["min_loads"] // GRID) * GRID
    if ok[0] - GRID in bad or ok[0] <= lo:
        return ok[0]
    return None
