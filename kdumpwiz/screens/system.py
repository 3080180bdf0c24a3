"""Step 1: what was detected, and whether kdump is possible here at all.

A blocker (container, kernel without kexec, unsupported system) stops the
wizard on this screen with the reason and what to do instead. An earlier
apply that never finished (SSH link dropped, process killed) is dealt with
here first: finish it or roll it back, before anything new is planned.
"""

from __future__ import annotations

from typing import Iterable, Optional

from textual import on, work
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Button, Log

from ..engine.apply import ApplyRecord, finish, interrupted, rollback
from ..engine.sizing import mib
from ..messages import ApplyFinished, ApplyProgressed
from .base import StepScreen, para, progress_line, section


def _yes_no(value: Optional[bool], yes: str = "yes", no: str = "no", unknown: str = "n/a") -> str:
    return unknown if value is None else (yes if value else no)


class SystemScreen(StepScreen):
    """The detected facts."""

    STEP = 1
    SHOW_BACK = False
    BINDINGS = [
        Binding("f", "finish_apply", "Finish apply"),
        Binding("r", "rollback_apply", "Roll back"),
    ]

    stuck: Optional[ApplyRecord] = None
    """The interrupted apply, while there is one."""
    busy = False

    def compose_body(self) -> Iterable[Widget]:
        """Facts as label/value lines, then blockers, an interrupted apply, warnings."""
        f = self.state.facts
        self.stuck = None if f.blockers else interrupted(self.state.host)
        rows = [
            ("Distribution", f"{f.distro.name} ({f.family or 'unknown family'})"),
            ("Architecture", f"{f.arch}, {f.page_size // 1024} KiB pages, {f.cpus} CPUs"),
            ("Memory", f"{mib(f.memory.system_ram_bytes)} as the kernel counts it"
                       + {"iomem": "", "given": " (given with --ram: offline image)",
                          "unknown": " (unknown: offline image)"}.get(f.memory.source, " (estimated from MemTotal)")),
            ("Kernel", f.kernel.release or "unknown"),
            ("Boot", f"{f.boot.method}, {'UEFI' if f.boot.efi else 'BIOS'}"
                     + (", Secure Boot on" if f.boot.secure_boot else "")),
            ("Running crashkernel", f.kexec.running_crashkernel or "none"),
            ("Reserved now", mib(f.kexec.crash_size) if f.kexec.crash_size is not None else "n/a"),
            ("Capture kernel loaded", _yes_no(f.kexec.crash_loaded)),
            ("kdump service", f"{f.service.unit or 'n/a'}, {'enabled' if f.service.enabled else 'not enabled'}"),
        ]
        width = max(len(k) for k, _ in rows)
        if f.blockers:
            # The refusal first: at 80x24 it was below the facts, its last line out of view.
            yield section("kdump cannot be set up here")
            for b in f.blockers:
                yield para(f"BLOCKED: {b.reason}\n  What to do: {b.remedy}", classes="blocker")
        yield section("This machine")
        yield para("\n".join(f"{k:<{width}}  {v}" for k, v in rows), classes="facts")
        if self.stuck is not None:
            paths = ", ".join(m["path"] for m in self.stuck.files) or "no files"
            yield section("An earlier apply did not finish")
            yield para(
                f"Apply {self.stuck.id} was interrupted (the link dropped or the process was killed) while "
                f"changing {paths}. Each file is whole, either as it was or as planned, but the commands "
                "that follow (boot loader, service) may not have run.\n"
                "Press f to finish it (write the rest, run its commands) or r to roll it back (restore every "
                "file). Nothing new can be planned before that.",
                classes="warning",
            )
            log = Log(id="recovery-log", auto_scroll=True)
            log.display = False  # shown when finish/rollback has something to say
            yield log
        for w in f.warnings:
            if self.stuck is not None and self.stuck.id in w:
                continue  # said above, with the keys that act on it
            yield para(f"Note: {w}", classes="warning")

    def compose_buttons(self) -> Iterable[Widget]:
        """Next, or only Quit when blocked, or Finish/Roll back after an interruption."""
        if self.state.facts.blockers:
            yield Button("Quit", id="quit", variant="error", compact=True)
        elif self.stuck is not None:
            yield Button("Finish apply", id="finish", variant="primary", compact=True)
            yield Button("Roll back", id="rollback", variant="warning", compact=True)
        else:
            yield from super().compose_buttons()

    def on_mount(self) -> None:
        """On a blocked machine, focus Quit; after an interruption, Finish."""
        if self.state.facts.blockers:
            self.query_one("#quit", Button).focus()
        elif self.stuck is not None:
            self.query_one("#finish", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Quit, Finish, Roll back, or the usual Next/Back."""
        actions = {"quit": None, "finish": self.action_finish_apply, "rollback": self.action_rollback_apply}
        if event.button.id in actions:
            event.stop()
            action = actions[event.button.id]
            if action is None:
                self.app.exit(return_code=6)
            else:
                action()
            event.prevent_default()  # the base class's Next/Back handler must not run as well
        # Next and Back: Textual calls StepScreen.on_button_pressed after this one (its handlers
        # run along the class hierarchy); calling it here too pushed the next step twice.

    def check_action(self, action: str, parameters: tuple) -> Optional[bool]:
        """A blocked machine has no Next; an interrupted apply must be settled first."""
        if action in ("finish_apply", "rollback_apply"):
            return self.stuck is not None and not self.busy
        if action == "next" and (self.state.facts.blockers or self.stuck is not None):
            return False
        return super().check_action(action, parameters)

    def validate_step(self) -> Optional[str]:
        """Blocked machines cannot go on."""
        if self.state.facts.blockers:
            return "kdump cannot be set up on this machine: " + self.state.facts.blockers[0].reason
        if self.stuck is not None:
            return "finish or roll back the interrupted apply first"
        return None

    def action_finish_apply(self) -> None:
        """Complete the interrupted apply from its journal."""
        if self.stuck is not None and not self.busy:
            self._settle("finish")

    def action_rollback_apply(self) -> None:
        """Restore every file of the interrupted apply."""
        if self.stuck is not None and not self.busy:
            self._settle("rollback")

    def _settle(self, operation: str) -> None:
        self.busy = True
        for button in self.query("#buttons Button"):
            button.disabled = True
        self.refresh_bindings()
        self._run_recovery(operation)

    @work(thread=True, exclusive=True, group="recovery", description="Settling an interrupted apply",
          exit_on_error=False)
    def _run_recovery(self, operation: str) -> None:
        engine_op = finish if operation == "finish" else rollback
        self.run_reporting(operation, lambda **report: engine_op(
            self.state.host, skip_commands=self.state.skip_commands, **report))

    @on(ApplyProgressed)
    def _progress(self, message: ApplyProgressed) -> None:
        log = self.query_one("#recovery-log", Log)
        log.display = True
        log.write_line(progress_line(message))

    @on(ApplyFinished)
    async def _settled(self, message: ApplyFinished) -> None:
        self.busy = False
        if message.error is not None:
            self.notify(message.error, title=f"{message.operation} failed", severity="error", timeout=12)
            for button in self.query("#buttons Button"):
                button.disabled = False
            self.refresh_bindings()
            return
        self.state.redetect()
        if message.operation == "finish":
            # The apply is complete now: what remains is the reboot.
            self.notify("the interrupted apply is finished", timeout=5)
            self.app.push_screen(self.wizard.make_step(7))
            return
        self.notify("rolled back: every file is as it was before that apply", timeout=5)
        await self.recompose()
        self.refresh_bindings()
