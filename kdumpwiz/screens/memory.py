"""Step 3: how much memory to reserve, and why; a custom value checked live.

The suggestion comes with its reasons (the distribution default evaluated on
the RAM the kernel counts, the estimate's parts). A custom value is checked on
every keystroke against the kernel's own parsing rules and this machine's RAM;
a value the kernel would reject, or one that leaves too little RAM, cannot be
accepted, and the message says why.
"""

from __future__ import annotations

from typing import Iterable, Optional

from textual.widget import Widget
from textual.widgets import Input, Static

from ..engine.crashkernel import normalize_spec, spec_cmdline
from ..engine.plan import resolve_auto
from ..engine.sizing import check_value, mib, suggest
from ..widgets.memory_bar import MemoryBar
from .base import StepScreen, para, section


class MemoryScreen(StepScreen):
    """The crashkernel= value."""

    STEP = 3
    AUTO_FOCUS = "#crashkernel"

    def compose_body(self) -> Iterable[Widget]:
        """Suggestion, reasons, bar, input, live check."""
        state = self.state
        if state.suggestion is None:
            state.suggestion = suggest(state.host, state.facts)
        s = state.suggestion
        auto_value = resolve_auto(state.facts, s)
        value = auto_value if state.answers.crashkernel == "auto" else state.answers.crashkernel
        ram = state.facts.memory.system_ram_bytes
        yield section("Suggested: " + spec_cmdline(auto_value))
        yield para("Value to use (Enter keeps it; or type e.g. 384M, 1G):")
        yield Input(value=value, id="crashkernel", placeholder=auto_value)
        yield Static("", id="check", markup=False)
        yield MemoryBar(ram, check_value(value, state.facts, s).reservation.reserved_bytes,
                        ascii_only=state.ascii, id="memory-bar")
        for w in s.warnings:
            yield para(f"Warning: {w}", classes="warning")
        yield para("Why:\n" + "\n".join(f"- {r}" for r in s.reasons), classes="reasons")

    def on_mount(self) -> None:
        """Show the check of the pre-filled value."""
        inp = self.query_one("#crashkernel", Input)
        inp.cursor_blink = False
        self._show_check(inp.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        """Check as the admin types."""
        self._show_check(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the field means Next."""
        event.stop()
        self.action_next()

    def _show_check(self, text: str) -> None:
        value = normalize_spec(text)
        label = self.query_one("#check", Static)
        if not value:
            label.update("Type a value, e.g. " + (self.state.suggestion.value if self.state.suggestion else "256M"))
            return
        checked = check_value(value, self.state.facts, self.state.suggestion)
        res = checked.reservation
        if checked.ok:
            low = f" (and {mib(res.low_bytes)} low, below 4 GiB)" if res.high and res.low_bytes else ""
            msg = f"OK: the kernel reserves {mib(res.reserved_bytes)}{low} with this value on this machine."
            for w in checked.warnings:
                msg += f"\nWarning: {w}"
            label.set_classes("ok" if not checked.warnings else "warning")
            self.query_one("#memory-bar", MemoryBar).show(res.reserved_bytes)
        else:
            self.query_one("#memory-bar", MemoryBar).show(0)
            msg = f"Not accepted: {checked.problems[0]}"
            if checked.hint:
                msg += f"\n  {checked.hint}"
            label.set_classes("error")
        label.update(msg)

    def validate_step(self) -> Optional[str]:
        """Only values the kernel accepts and that leave enough RAM; stores the answer."""
        value = normalize_spec(self.query_one("#crashkernel", Input).value)
        if not value:
            return "enter a crashkernel= value"
        checked = check_value(value, self.state.facts, self.state.suggestion)
        if not checked.ok:
            return f"{spec_cmdline(value)}: {checked.problems[0]}"
        auto_value = resolve_auto(self.state.facts, self.state.suggestion)  # type: ignore[arg-type]
        self.state.answers.crashkernel = "auto" if value == auto_value else value
        return None
