"""Step 5: every file change as a unified diff, every command in order, the notes.

Nothing has been written before this screen; applying needs the explicit key
``a`` (Enter on this screen does not apply) and a yes to a one-line summary. ``s`` saves the answers as YAML
for reuse on other machines with ``kdumpwiz apply --answers``.
"""

from __future__ import annotations

import os
from typing import Iterable, Optional

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Static

from ..engine.crashkernel import MIB, spec_cmdline
from ..engine.errors import KdumpwizError
from ..engine.plan import Plan, build_plan
from ..engine.sizing import mib
from ..widgets.diff_view import DiffView
from .base import StepScreen, YesNoDialog, para, section


def apply_summary(plan: Plan, hostname: str, demo: bool = False) -> str:
    """One line: what applying this plan changes, on which machine."""
    files = ", ".join(f.path for f in plan.files) or "no files"
    what = [f"write {len(plan.files)} file(s) ({files})" if plan.files else "write no files"]
    if plan.commands:
        what.append(f"run {len(plan.commands)} command(s) ({', '.join(c.argv[0] for c in plan.commands)})")
    size = f"crashkernel={plan.crashkernel}, {plan.reserved_bytes // MIB} MiB from the next boot"
    return f"{'(DEMO) ' if demo else ''}Apply to {hostname}: {'; '.join(what)}; {size}. Backups first. (y/n)"


class ConfirmApply(YesNoDialog):
    """Yes/no before the boot configuration is written."""

    BINDINGS = [Binding("y", "yes", "Apply"), Binding("n", "no", "Cancel"), Binding("escape", "no", show=False)]

    def __init__(self, summary: str) -> None:
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        """The summary and two buttons; Cancel is focused."""
        yield from self.compose_dialog(self.summary, "Apply", "warning", question_id="apply-summary")


class ReviewScreen(StepScreen):
    """The plan, for the admin's eyes."""

    STEP = 5
    AUTO_FOCUS = "#body"
    BINDINGS = StepScreen.BINDINGS + [
        Binding("a", "apply", "Apply"),
        Binding("s", "save_answers", "Save answers"),
    ]

    def compose_body(self) -> Iterable[Widget]:
        """Value, warnings, diffs, commands, notes (or why there is no plan)."""
        state = self.state
        self.error: Optional[str] = None
        try:
            state.plan = build_plan(state.host, state.facts, state.answers)
        except KdumpwizError as exc:
            state.plan = None
            self.error = str(exc)
            yield section("No plan: kdumpwiz refuses to change this machine")
            yield para(self.error, classes="error")
            yield para("Go back (b) and change the answers, or quit (q).")
            return
        plan = state.plan
        yield section(f"{spec_cmdline(plan.crashkernel)}  ({mib(plan.reserved_bytes)} reserved on this machine)")
        for w in plan.warnings:
            yield para(f"WARNING: {w}", classes="warning")
        if plan.is_empty:
            yield para("Nothing to change: the configuration already matches.", classes="ok")
        for change in plan.files:
            verb = "create" if change.created else "edit"
            yield section(f"{verb} {change.path}")
            yield para(change.reason, classes="dim")
            yield DiffView(change.diff)
        if plan.commands:
            yield section("Commands, in this order")
            yield para("\n".join(f"{i}. {' '.join(c.argv)}\n   {c.reason}" for i, c in enumerate(plan.commands, 1)))
        if plan.notes:
            yield section("Notes")
            yield para("\n".join(f"- {n}" for n in plan.notes))
        yield para("Backups of every file go to /var/lib/kdumpwiz; 'kdumpwiz rollback' restores them.", classes="dim")

    def compose_buttons(self) -> Iterable[Widget]:
        """No Next button: applying takes the explicit key."""
        if self.state.plan is not None and not self.state.plan.is_empty:
            yield Static("Press a to apply these changes, s to save the answers.", id="apply-hint", markup=False)
        elif self.state.plan is not None:
            yield Static("Nothing to apply. Press s to save the answers, q to quit.", id="apply-hint", markup=False)

    def action_next(self) -> None:
        """Next on Review is deliberately not 'apply'."""
        self.notify("Press a to apply (Enter does not apply).", timeout=5)

    def action_apply(self) -> None:
        """Ask once, with a one-line summary; yes goes to Apply, which executes exactly this plan."""
        plan = self.state.plan
        if plan is None or plan.is_empty:
            self.app.bell()
            return

        def answered(yes: Optional[bool]) -> None:
            if yes:
                self.app.push_screen(self.wizard.make_step(6))

        self.app.push_screen(ConfirmApply(apply_summary(plan, self.state.facts.hostname, self.state.demo)), answered)

    def action_save_answers(self) -> None:
        """Write the answers as YAML where kdumpwiz was started (the demo too: that is where the admin
        looks for them, and where 'kdumpwiz apply --answers kdumpwiz-answers.yaml' finds them)."""
        path = os.path.join(os.getcwd(), "kdumpwiz-answers.yaml")
        try:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(self.state.answers.to_yaml())
        except OSError as exc:
            self.notify(f"cannot write {path}: {exc.strerror}", severity="error")
            return
        self.notify(f"answers saved to {path}", timeout=6)
