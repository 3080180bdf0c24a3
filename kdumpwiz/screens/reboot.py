"""Step 7: the reservation only takes effect after a reboot; reboot now or later.

Rebooting needs an explicit confirmation. In the demo the reboot is simulated
(the tree's /proc and /sys are made to look like the configured kernel booted).
"""

from __future__ import annotations

from typing import Iterable, Optional

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Button, Static

from ..engine.crashkernel import spec_cmdline
from .base import StepScreen, YesNoDialog, para, section


class ConfirmReboot(YesNoDialog):
    """Yes/no before rebooting the machine."""

    BINDINGS = [Binding("y", "yes", "Reboot"), Binding("n", "no", "Cancel"), Binding("escape", "no", show=False)]

    def __init__(self, hostname: str, demo: bool = False) -> None:
        super().__init__()
        self.hostname = hostname
        self.demo = demo

    def compose(self) -> ComposeResult:
        """The question and two buttons."""
        with Vertical(id="dialog"):
            question = (f"(DEMO) Simulate a reboot of {self.hostname}? Nothing real is rebooted. (y/n)" if self.demo
                        else f"Reboot {self.hostname} now? Every running program stops. (y/n)")
            yield Static(question, markup=False)
            yield Button("Cancel", id="no", compact=True)
            yield Button("Reboot", id="yes", variant="error", compact=True)


class RebootScreen(StepScreen):
    """Reboot now or later."""

    STEP = 7
    SHOW_BACK = False
    AUTO_FOCUS = "#later"
    BINDINGS = [
        Binding("r", "reboot", "Reboot now"),
        Binding("l", "later", "Later (quit)"),
        Binding("q", "later", "Quit", show=False),
    ]

    @property
    def can_reboot(self) -> bool:
        """Only the running system (or the demo's simulation) can be rebooted from here.

        With --root the tree is an image or another system's disk: 'systemctl
        reboot' through chroot would at best be refused, at worst reach the host.
        """
        return self.state.demo or self.state.host.is_live

    def check_action(self, action: str, parameters: tuple):
        """Only reboot or later from here: Verify makes sense after the reboot."""
        if action == "next":
            return False
        if action == "reboot" and not self.can_reboot:
            return False
        return super().check_action(action, parameters)

    def compose_body(self) -> Iterable[Widget]:
        """Plain words about what happens."""
        plan = self.state.plan
        value = plan.crashkernel if plan else (self.state.facts.boot.configured_crashkernel or "?")
        if not self.can_reboot:
            kind = "an offline image" if self.state.facts.offline else "a system that is not the one running here"
            yield section("Boot it to take effect")
            yield para(
                f"kdumpwiz changed the files under {self.state.host.root}, {kind}. Its boot configuration now asks "
                f"for {spec_cmdline(value)}; the kernel reserves that memory when the system boots.\n\n"
                "Boot that system, then run 'kdumpwiz verify' on it to check that the capture kernel is loaded. "
                f"To undo: {self.state.host.cli('rollback')}."
            )
            skipped = self.state.apply_result.commands_skipped if self.state.apply_result else []
            if skipped:
                yield para("Not run (--skip-commands), and needed before that system boots, or its boot loader "
                           "never sees the change: " + "; ".join(" ".join(a) for a in skipped) + ".",
                           classes="warning")
            return
        yield section("A reboot is needed")
        yield para(
            f"The kernel reserves memory for the capture kernel only while it boots. The boot configuration now "
            f"asks for {spec_cmdline(value)}; the running kernel does not have it yet.\n\n"
            "After the reboot, run kdumpwiz again: it opens at the Verify step and checks that the capture kernel "
            "is loaded. If anything goes wrong, 'kdumpwiz rollback' restores every file."
        )
        if self.state.demo:
            yield para("(DEMO) 'Reboot now' simulates the reboot and goes on to Verify.", classes="dim")

    def compose_buttons(self) -> Iterable[Widget]:
        """Later (default) and Reboot now; only Done for a tree that is not the running system."""
        yield Button("Later" if self.can_reboot else "Done", id="later", compact=True)
        if self.can_reboot:
            yield Button("Reboot now", id="reboot", variant="error", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Buttons map onto the actions."""
        event.stop()
        if event.button.id == "reboot":
            self.action_reboot()
        elif event.button.id == "later":
            self.action_later()

    def action_later(self) -> None:
        """Quit; the next run resumes at Verify."""
        if not self.can_reboot:
            self.app.exit(message=f"Boot the system under {self.state.host.root}, then run 'kdumpwiz verify' on it.")
            return
        self.app.exit(message="Reboot when convenient, then run 'kdumpwiz' again to verify.")

    def action_reboot(self) -> None:
        """Ask, then reboot (simulated in the demo)."""
        if not self.can_reboot:
            return
        self.app.push_screen(ConfirmReboot(self.state.facts.hostname, self.state.demo), self._confirmed)

    def _confirmed(self, yes: Optional[bool]) -> None:
        if not yes:
            return
        state = self.state
        if state.demo:
            from ..demo.simulate import simulate_reboot

            simulate_reboot(state.host)
            state.redetect()
            self.app.push_screen(self.wizard.make_step(8))
            return
        result = state.host.run(["systemctl", "reboot"], timeout=60)
        self.app.exit(message="Rebooting..." if result.ok else f"reboot failed: {result.output}")
