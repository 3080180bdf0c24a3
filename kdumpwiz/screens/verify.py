"""Step 8: is kdump armed? The verification chain, a mark and evidence per check, the fix.

From here an optional test crash (sysrq-c) behind a typed confirmation that
names the host. After the next boot kdumpwiz reports whether a new dump
appeared. In the demo the crash and the capture are simulated.
"""

from __future__ import annotations

import os
from typing import Iterable, Optional

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from ..engine.errors import KdumpwizError
from ..engine.verify import Verification, dump_lines, trigger_test_crash, verify
from ..messages import Verified
from .base import StepScreen, para, section


class ConfirmCrash(ModalScreen[str]):
    """Type the host name to crash it."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, hostname: str, demo: bool = False) -> None:
        super().__init__()
        self.hostname = hostname
        self.demo = demo

    def compose(self) -> ComposeResult:
        """Warning and the host name field."""
        with Vertical(id="dialog"):
            what = ("(DEMO) The crash, the dump and the reboot are simulated; nothing real goes down." if self.demo
                    else f"TEST CRASH: {self.hostname} will go down NOW. Every process dies, the capture kernel "
                    "writes a dump, and the machine reboots.")
            yield Static(
                f"{what}\nType the host name ({self.hostname}) and press Enter; Escape cancels.",
                markup=False,
            )
            yield Input(id="hostname", placeholder=self.hostname)

    def on_mount(self) -> None:
        """Quiet cursor."""
        self.query_one(Input).cursor_blink = False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """The typed name goes back to the caller, which checks it."""
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        """Nothing happens."""
        self.dismiss("")


class VerifyScreen(StepScreen):
    """The armed chain."""

    STEP = 8
    SHOW_BACK = False
    AUTO_FOCUS = "#refresh"
    BINDINGS = [
        Binding("r", "refresh", "Check again"),
        Binding("t", "test_crash", "Test crash"),
        Binding("q", "quit_wizard", "Quit", show=False),
    ]

    result: Optional[Verification] = None
    """The chain shown; None while the first check runs."""

    def on_mount(self) -> None:
        """Check in a worker: systemctl and the service journal may take a moment."""
        self._check()

    @work(thread=True, exclusive=True, group="verify", description="Verifying kdump", exit_on_error=False)
    def _check(self) -> None:
        facts = self.state.fresh_facts()
        self.post_message(Verified(facts, verify(self.state.host, facts)))

    @on(Verified)
    async def _verified(self, message: Verified) -> None:
        self.state.facts = message.facts
        self.state.verification = self.result = message.result
        await self.recompose()

    def compose_body(self) -> Iterable[Widget]:
        """One line per check, with its fix when it failed."""
        result = self.result
        if result is None:
            yield section("Checking...")
            yield para("Reading /proc, /sys, the service state and its journal.")
            return
        ascii_marks = {True: "[ OK ]", False: "[FAIL]", None: "[WARN]"}
        yield section(result.summary)
        lines = []
        for c in result.checks:
            mark = ascii_marks[True] if c.ok else (ascii_marks[False] if c.required else ascii_marks[None])
            lines.append(f"{mark} {c.name}: {c.detail}")
            if c.fix and not c.ok:
                lines.append(f"       fix: {c.fix}")
        yield para("\n".join(lines), classes="ok" if result.armed else "error")
        captured = dump_lines((result.test_crash or {}).get("dump"))
        if captured:
            yield section("The captured dump")
            yield para("\n".join(captured))
        if result.armed:
            yield para("Optional: press t for a test crash, the only end-to-end proof that a dump gets written.")

    def compose_buttons(self) -> Iterable[Widget]:
        """Check again, Test crash."""
        yield Button("Check again", id="refresh", compact=True)
        yield Button("Test crash", id="crash", variant="error", compact=True,
                     disabled=not (self.result.armed if self.result else False))

    def check_action(self, action: str, parameters: tuple):
        """Verify is the last step: no Next, no Back."""
        if action == "next":
            return False
        return super().check_action(action, parameters)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Buttons map onto the actions."""
        event.stop()
        if event.button.id == "refresh":
            self.action_refresh()
        elif event.button.id == "crash":
            self.action_test_crash()

    def action_refresh(self) -> None:
        """Detect and verify again; the screen redraws when the worker reports."""
        self._check()

    def action_test_crash(self) -> None:
        """Ask for the host name, then crash (simulated in the demo)."""
        if not (self.result and self.result.armed):
            self.notify("kdump is not armed: a crash now would only reboot without a dump", severity="error")
            return
        self.app.push_screen(ConfirmCrash(self.state.facts.hostname, self.state.demo), self._crash)

    async def _crash(self, typed: Optional[str]) -> None:
        if not typed:
            return
        state = self.state
        try:
            trigger_test_crash(state.host, state.facts, typed)
        except KdumpwizError as exc:
            self.notify(str(exc), title="No test crash", severity="error", timeout=8)
            return
        if state.demo:
            from ..demo.simulate import simulate_crash_and_capture

            simulate_crash_and_capture(state.host)
            self._check()
            self.notify("(demo) the machine crashed, the capture kernel saved a dump, the machine rebooted",
                        timeout=6)
        else:
            os.sync()
