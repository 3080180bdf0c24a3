"""Step 1: what was detected, and whether kdump is possible here at all.

A blocker (container, kernel without kexec, unsupported system) stops the
wizard on this screen with the reason and what to do instead.
"""

from __future__ import annotations

from typing import Iterable, Optional

from textual.widget import Widget
from textual.widgets import Button

from ..engine.sizing import mib
from .base import StepScreen, para, section


def _yes_no(value: Optional[bool], yes: str = "yes", no: str = "no", unknown: str = "n/a") -> str:
    return unknown if value is None else (yes if value else no)


class SystemScreen(StepScreen):
    """The detected facts."""

    STEP = 1
    SHOW_BACK = False

    def compose_body(self) -> Iterable[Widget]:
        """Facts as label/value lines, then blockers or warnings."""
        f = self.state.facts
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
        yield section("This machine")
        yield para("\n".join(f"{k:<{width}}  {v}" for k, v in rows), classes="facts")
        if f.blockers:
            yield section("kdump cannot be set up here")
            for b in f.blockers:
                yield para(f"BLOCKED: {b.reason}\n  What to do: {b.remedy}", classes="blocker")
        for w in f.warnings:
            yield para(f"Note: {w}", classes="warning")

    def compose_buttons(self) -> Iterable[Widget]:
        """Next, or only Quit when blocked."""
        if self.state.facts.blockers:
            yield Button("Quit", id="quit", variant="error", compact=True)
        else:
            yield from super().compose_buttons()

    def on_mount(self) -> None:
        """On a blocked machine, focus Quit."""
        if self.state.facts.blockers:
            self.query_one("#quit", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Quit button, or the usual Next/Back."""
        if event.button.id == "quit":
            event.stop()
            self.app.exit(return_code=6)
            return
        super().on_button_pressed(event)

    def check_action(self, action: str, parameters: tuple) -> Optional[bool]:
        """A blocked machine has no Next."""
        if action == "next" and self.state.facts.blockers:
            return False
        return super().check_action(action, parameters)

    def validate_step(self) -> Optional[str]:
        """Blocked machines cannot go on."""
        if self.state.facts.blockers:
            return "kdump cannot be set up on this machine: " + self.state.facts.blockers[0].reason
        return None
