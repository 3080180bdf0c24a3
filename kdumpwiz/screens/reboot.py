"""Step 7: the reservation only takes effect after a reboot; reboot now or later.

Rebooting needs an explicit confirmation. In the demo the reboot is simulated
(the tree's /proc and /sys are made to look like the configured kernel booted).
A run that resumes here (an apply waits for its reboot) can also change the
settings (back to the Memory step, then a new plan), roll the apply back, or
disable kdump altogether (engine.disable), and still says which commands
--skip-commands left undone.
"""

from __future__ import annotations

from typing import Iterable, List, Optional

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Button, Static

from ..engine.apply import StateDir, rollback
from ..engine.crashkernel import spec_cmdline
from ..engine.disable import DisablePlan, disable, plan_disable
from ..engine.errors import KdumpwizError
from ..messages import ApplyFinished
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
        question = (f"(DEMO) Simulate a reboot of {self.hostname}? Nothing real is rebooted. (y/n)" if self.demo
                    else f"Reboot {self.hostname} now? Every running program stops. (y/n)")
        yield from self.compose_dialog(question, "Reboot", "error")


class ConfirmRollback(YesNoDialog):
    """Yes/no before undoing the apply that waits for its reboot."""

    BINDINGS = [Binding("y", "yes", "Roll back"), Binding("n", "no", "Cancel"), Binding("escape", "no", show=False)]

    def compose(self) -> ComposeResult:
        """The question and two buttons."""
        yield from self.compose_dialog("Roll back the apply? Every file it changed is restored byte for byte and "
                                       "its commands are undone. (y/n)", "Roll back", "warning")


class ConfirmDisable(YesNoDialog):
    """Yes/no before disabling kdump, with what it will do in a few lines."""

    BINDINGS = [Binding("y", "yes", "Disable"), Binding("n", "no", "Cancel"), Binding("escape", "no", show=False)]

    def __init__(self, preview: DisablePlan) -> None:
        super().__init__()
        self.preview = preview

    def compose(self) -> ComposeResult:
        """The summary and two buttons."""
        p = self.preview
        lines = [f"Disable kdump? {len(p.applies)} apply(s) rolled back, newest first"
                 + (": " + ", ".join(r.path for r in p.restores) if p.restores else "") + "."]
        lines += [f"Then: {' '.join(argv)}." for argv in p.commands]
        lines += list(p.notes)
        yield from self.compose_dialog("\n".join(lines) + " (y/n)", "Disable", "error")


class RebootScreen(StepScreen):
    """Reboot now or later."""

    STEP = 7
    SHOW_BACK = False
    AUTO_FOCUS = "#later"
    BINDINGS = [
        Binding("r", "reboot", "Reboot now"),
        Binding("l", "later", "Later (quit)"),
        Binding("c", "change", "Change"),
        Binding("u", "rollback", "Roll back"),
        Binding("d", "disable", "Disable kdump"),
        Binding("q", "later", "Quit", show=False),
    ]

    rolled_back = False
    """Set once the apply was rolled back: nothing waits for a reboot any more."""

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
        if action == "reboot" and (not self.can_reboot or self.rolled_back):
            return False
        if action in ("rollback", "disable") and self.rolled_back:
            return False
        return super().check_action(action, parameters)

    def skipped_commands(self) -> List[str]:
        """Commands --skip-commands left for later: from this run's apply, or the record of the pending one."""
        if self.state.apply_result is not None:
            return [" ".join(a) for a in self.state.apply_result.commands_skipped]
        state = StateDir(self.state.host)
        pending = state.pending() or {}
        rec = state.load(pending["apply_id"]) if pending.get("apply_id") else None
        if rec is None:
            return []
        return [" ".join(rec.commands[i]["argv"]) for i in rec.skipped_commands if i < len(rec.commands)]

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
            skipped = self.skipped_commands()
            if skipped:
                yield para("Not run (--skip-commands), and needed before that system boots, or its boot loader "
                           "never sees the change: " + "; ".join(skipped) + ".", classes="warning")
            yield para("c changes the settings (a new plan), u rolls this apply back, d disables kdump.", classes="dim")
            yield Static("", id="rollback-status", markup=False)
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
        yield para("Not what you wanted? c changes the settings (a new plan), u rolls this apply back, "
                   "d disables kdump (every kdumpwiz change undone, the service off).", classes="dim")
        yield Static("", id="rollback-status", markup=False)

    def compose_buttons(self) -> Iterable[Widget]:
        """Later (default) and Reboot now; only Done for a tree that is not the running system."""
        yield Button("Later" if self.can_reboot else "Done", id="later", compact=True)
        yield Button("Change", id="change", compact=True)
        yield Button("Roll back", id="rollback", variant="warning", compact=True)
        yield Button("Disable", id="disable", variant="error", compact=True)
        if self.can_reboot:
            yield Button("Reboot now", id="reboot", variant="error", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Buttons map onto the actions."""
        event.stop()
        action = {"reboot": self.action_reboot, "later": self.action_later, "change": self.action_change,
                  "rollback": self.action_rollback, "disable": self.action_disable}.get(event.button.id or "")
        if action is not None:
            action()

    def action_change(self) -> None:
        """Back to the Memory step with the current answers: a new plan replaces this one on Apply."""
        self.app.push_screen(self.wizard.make_step(3))

    def action_rollback(self) -> None:
        """Ask, then undo the apply (in a worker, as Apply does)."""
        if self.rolled_back:
            return
        self.app.push_screen(ConfirmRollback(), self._rollback_confirmed)

    def _rollback_confirmed(self, yes: Optional[bool]) -> None:
        if yes:
            self.query_one("#rollback-status", Static).update("Rolling back...")
            self._rollback()

    def action_disable(self) -> None:
        """Show what disabling does (a refusal, e.g. a file changed since, right away), ask, then disable."""
        if self.rolled_back:
            return
        try:
            preview = plan_disable(self.state.host, self.state.facts)
        except KdumpwizError as exc:
            status = self.query_one("#rollback-status", Static)
            status.update(f"Cannot disable: {exc}")
            status.set_classes("error")
            return
        self.app.push_screen(ConfirmDisable(preview), self._disable_confirmed)

    def _disable_confirmed(self, yes: Optional[bool]) -> None:
        if yes:
            self.query_one("#rollback-status", Static).update("Disabling kdump...")
            self._disable()

    @work(thread=True, exclusive=True, group="apply", description="Disabling kdump", exit_on_error=False)
    def _disable(self) -> None:
        self.run_reporting("disable", lambda **report: disable(
            self.state.host, self.state.facts, skip_commands=self.state.skip_commands, **report))

    @work(thread=True, exclusive=True, group="apply", description="Rolling back", exit_on_error=False)
    def _rollback(self) -> None:
        self.run_reporting("rollback", lambda **report: rollback(
            self.state.host, skip_commands=self.state.skip_commands, **report))

    @on(ApplyFinished)
    def _rolled_back(self, message: ApplyFinished) -> None:
        status = self.query_one("#rollback-status", Static)
        what = "Disable" if message.operation == "disable" else "Rollback"
        if message.error is None:
            self.rolled_back = True
            self.state.plan = None
            if message.operation == "disable":
                status.update("kdump is disabled: every file kdumpwiz changed is as it was before kdumpwiz, and the "
                              "kdump service is stopped and off. Press c to set kdump up again, or l to quit.")
            else:
                status.update("Rolled back: every file is as it was before the apply, and nothing waits for a "
                              "reboot. Press c to set up kdump again, or l to quit.")
            status.set_classes("ok")
            for button in self.query("#reboot, #rollback, #disable"):
                button.disabled = True
        else:
            status.update(f"{what} failed: {message.error}")
            status.set_classes("error")
        self.refresh_bindings()

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
