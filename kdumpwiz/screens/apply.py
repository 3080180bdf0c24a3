"""Step 6: apply the reviewed plan, with progress and streamed command output.

The engine does the work in a thread worker and reports through messages. On
failure the screen says what was and was not changed and offers rollback.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from textual import on, work
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Button, Log, Static

from ..engine.apply import apply_plan, list_applies, rollback
from ..messages import ApplyFinished, ApplyProgressed
from .base import StepScreen, progress_line, section


class ApplyScreen(StepScreen):
    """Progress of the apply; failure and rollback."""

    STEP = 6
    SHOW_BACK = False
    AUTO_FOCUS = ""
    BINDINGS = [
        Binding("ctrl+n", "next", "Next"),
        Binding("n", "next", "Next", show=False),
        Binding("r", "rollback", "Roll back"),
        Binding("q", "quit_wizard", "Quit", show=False),
    ]

    def compose_body(self) -> Iterable[Widget]:
        """Status line and the log."""
        yield section("Applying")
        yield Static("Writing files...", id="status", markup=False)
        yield Log(id="apply-log", auto_scroll=True)

    def compose_buttons(self) -> Iterable[Widget]:
        """Next appears (enabled) when the apply succeeded."""
        yield Button("Next", id="next", variant="primary", compact=True, disabled=True)

    def on_mount(self) -> None:
        """Start at once: the admin confirmed on Review."""
        self.done = False
        self.failed = False
        self._apply()

    @work(thread=True, exclusive=True, group="apply", description="Applying the plan", exit_on_error=False)
    def _apply(self) -> None:
        state = self.state
        plan = state.plan
        assert plan is not None

        def run(**report: Any) -> None:
            # Stored before ApplyFinished is posted: its handler reads the result.
            state.apply_result = apply_plan(state.host, plan, skip_commands=state.skip_commands, **report)

        self.run_reporting("apply", run)

    @on(ApplyProgressed)
    def _progress(self, message: ApplyProgressed) -> None:
        line = progress_line(message)
        self.query_one("#apply-log", Log).write_line(line)
        self.state.log.append(line)

    @on(ApplyFinished)
    def _finished(self, message: ApplyFinished) -> None:
        status = self.query_one("#status", Static)
        if message.operation == "apply":
            self.state.apply_error = message.error
        if message.operation == "rollback":
            status.update("Rolled back: every file is as it was before the apply." if message.error is None
                          else f"Rollback failed: {message.error}")
            status.set_classes("ok" if message.error is None else "error")
            return
        if message.error is None:
            self.done = True
            skipped = self.state.apply_result.commands_skipped if self.state.apply_result else []
            if skipped:
                status.update("Done. Every file was written; the commands were NOT run (--skip-commands): "
                              + "; ".join(" ".join(a) for a in skipped) + ".")
            else:
                status.update("Done. Every file was written and every command succeeded.")
            status.set_classes("ok")
            nxt = self.query_one("#next", Button)
            nxt.disabled = False
            nxt.focus()
            self.refresh_bindings()
            return
        self.failed = True
        records = list_applies(self.state.host)
        written = [f["path"] for f in records[-1].files] if records else []
        status.update(
            f"FAILED: {message.error}\n\n"
            f"Written before the failure (each file complete, backups kept): {', '.join(written) or 'nothing'}.\n"
            "Press r to roll back to the state before the apply, or q to quit and fix it by hand (the hint above "
            "says how to finish or undo it later)."
        )
        status.set_classes("error")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple) -> Optional[bool]:
        """Next only after success, Roll back only after a failure, never Back."""
        if action == "next":
            return getattr(self, "done", False)
        if action == "rollback":
            return getattr(self, "failed", False)
        return super().check_action(action, parameters)

    def action_next(self) -> None:
        """Only after success."""
        if self.done:
            self.app.push_screen(self.wizard.make_step(7))

    def action_rollback(self) -> None:
        """Undo a failed apply."""
        if not self.failed:
            return
        self.failed = False
        self.refresh_bindings()
        self._rollback()

    @work(thread=True, exclusive=True, group="apply", description="Rolling back", exit_on_error=False)
    def _rollback(self) -> None:
        self.run_reporting("rollback", lambda **report: rollback(
            self.state.host, skip_commands=self.state.skip_commands, **report))
