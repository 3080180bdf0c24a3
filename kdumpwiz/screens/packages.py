"""Step 2: the kdump packages this family needs, and installing the missing ones.

The install command is shown exactly; running it streams its output and can be
cancelled. The admin may also quit and install by hand.
"""

from __future__ import annotations

import threading
from typing import Iterable, Optional

from textual import work
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Log

from ..engine.packages import install_missing
from .base import StepScreen, para, section


class PackagesScreen(StepScreen):
    """Packages present and missing."""

    STEP = 2
    BINDINGS = StepScreen.BINDINGS + [
        Binding("i", "install", "Install missing"),
        Binding("c", "cancel_install", "Cancel install"),
    ]

    _cancel: Optional[threading.Event] = None
    """Set to stop a running install (SIGINT to its process group, then SIGKILL)."""

    def compose_body(self) -> Iterable[Widget]:
        """What is installed, what is missing, the exact command."""
        p = self.state.facts.packages
        yield section("kdump packages")
        yield para(f"Needed:    {' '.join(p.required)}\nInstalled: {' '.join(p.installed) or 'none'}")
        if p.missing and self.state.skip_commands:
            # --skip-commands runs nothing on the tree, an install least of all (chroot apt-get, exit 127).
            yield para(f"Missing:   {' '.join(p.missing)}", classes="warning")
            yield para("--skip-commands: kdumpwiz runs no command on this tree. Install them inside it, e.g.\n"
                       f"  chroot {self.state.host.root} {' '.join(p.install_argv)}\nthen start kdumpwiz again.")
        elif p.missing:
            yield para(f"Missing:   {' '.join(p.missing)}", classes="warning")
            yield para(f"Install command (press i to run it, or quit and run it yourself):\n  {' '.join(p.install_argv)}")
        else:
            yield para("All kdump packages are installed.", classes="ok")
        yield Log(id="install-log", classes="hidden")

    def validate_step(self) -> Optional[str]:
        """Missing packages must be installed first."""
        if self.state.facts.packages.missing:
            if self.state.skip_commands:
                return "install the missing packages inside the tree first (--skip-commands runs no command)"
            return "install the missing packages first (press i), or quit and install them by hand"
        return None

    def action_install(self) -> None:
        """Run the install command in a worker, streaming its output."""
        if not self.state.facts.packages.missing or self.state.skip_commands:
            return
        log = self.query_one("#install-log", Log)
        log.remove_class("hidden")
        log.write_line("$ " + " ".join(self.state.facts.packages.install_argv))
        log.write_line("(press c to cancel)")
        self._cancel = threading.Event()
        self.refresh_bindings()
        self._install(self._cancel)

    @work(thread=True, exclusive=True, group="install", description="Installing kdump packages", exit_on_error=False)
    def _install(self, cancel: threading.Event) -> None:
        log = self.query_one("#install-log", Log)

        def show(line: str) -> None:
            self.app.call_from_thread(log.write_line, line)

        result = install_missing(self.state.host, self.state.facts, on_output=show, cancel=cancel)
        facts = self.state.fresh_facts()
        self.app.call_from_thread(self._installed, result.ok, result.returncode, result.cancelled, facts)

    def _installed(self, ok: bool, code: int, cancelled: bool, facts) -> None:
        self._cancel = None
        self.state.facts = facts
        log = self.query_one("#install-log", Log)
        if cancelled:
            # apt stops on SIGINT, but a dpkg run cut short leaves packages half-configured.
            log.write_line("cancelled; if apt or dpkg reports an interrupted run, finish it with "
                           "'dpkg --configure -a' (or 'dnf'/'zypper' again) before going on")
        else:
            log.write_line("done" if ok else f"failed with exit status {code}")
        if ok and not facts.packages.missing:
            self.notify("packages installed", timeout=4)
        self.refresh_bindings()

    def action_cancel_install(self) -> None:
        """Stop the running install command and everything it started."""
        if self._cancel is not None:
            self._cancel.set()

    def check_action(self, action: str, parameters: tuple) -> Optional[bool]:
        """Cancel only while an install runs; no second install meanwhile."""
        if action == "cancel_install":
            return self._cancel is not None
        if action == "install" and (self._cancel is not None or self.state.skip_commands):
            return False
        return super().check_action(action, parameters)
