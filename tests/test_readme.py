"""The README's two set-up commands are the ones that work: CI runs the second verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands():
    text = (ROOT / "README.md").read_text()
    try_it = text.split("## Try it", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```\n(.+?)\n```", try_it, flags=re.S)


def test_exactly_two_single_line_commands():
    commands = readme_commands()
    assert len(commands) == 2, commands
    assert all("\n" not in c for c in commands)


def test_first_command_starts_the_wizard_on_the_demo():
    assert readme_commands()[0].endswith("/opt/kdumpwiz/bin/kdumpwiz --demo")


def test_ci_runs_the_second_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in ci


def test_the_fast_suite_needs_no_qemu():
    """The README's test command must not pull in the VM test (a user's test run needs no QEMU)."""
    assert "e2e" not in readme_commands()[1] and "qemu" not in readme_commands()[1]
