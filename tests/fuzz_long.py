"""Run the editor fuzz tests at 10,000 examples per editor and print the figures for docs/reliability.md.

Usage (from the repository root)::

    python3 tests/fuzz_long.py                 # 10,000 examples per editor
    python3 tests/fuzz_long.py 500             # a quicker look
    KDUMPWIZ_FAULTS=full python3 tests/fuzz_long.py --faults   # also the full fault matrix

It runs pytest in-process on tests/test_fuzz_editors.py with
``KDUMPWIZ_FUZZ_EXAMPLES`` set, then prints one line per editor: examples,
refusals (each checked to name its line), failures and seconds.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list) -> int:
    """Entry point; returns pytest's exit status."""
    examples = next((a for a in argv if a.isdigit()), "10000")
    os.environ["KDUMPWIZ_FUZZ_EXAMPLES"] = examples
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import pytest

    from tests import test_fuzz_editors as fuzz

    timings: dict = {}

    class Timer:
        """Collects per-test wall time and outcome."""

        def pytest_runtest_logreport(self, report):  # noqa: D102
            if report.when == "call":
                timings[report.nodeid.split("::")[-1]] = (report.duration, report.outcome)

    targets = ["tests/test_fuzz_editors.py"]
    if "--faults" in argv:
        targets.append("tests/test_faults.py")
    start = time.time()
    code = pytest.main(["-q", "-p", "no:cacheprovider", *targets], plugins=[Timer()])
    total = time.time() - start
    print(f"\nexamples requested per test: {examples}; total {total:.0f} s")
    print(f"{'editor':<32} {'examples':>9} {'refused':>8}  outcome   seconds")
    for name, (duration, outcome) in timings.items():
        editor = name.replace("test_", "", 1).replace("_", ".", 1)
        stats = next((v for k, v in fuzz.STATS.items() if k.replace("_", "") == editor.replace("_", "")), None)
        ex = stats["examples"] if stats else "-"
        ref = stats["refused"] if stats else "-"
        print(f"{editor:<32} {ex:>9} {ref:>8}  {outcome:<8} {duration:8.1f}")
    return int(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
