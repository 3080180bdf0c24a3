"""Step 3: how much memory to reserve, and why; a custom value checked live.

The suggestion comes with its reasons (the distribution default evaluated on
the RAM the kernel counts), the estimate as a table of its terms, and, where
the machine matches a guest the sizing sweep measured, the measured minimum.
A custom value is checked on every keystroke against the kernel's own parsing
rules and this machine's RAM; a value the kernel would reject, or one that
leaves too little RAM, cannot be accepted, and the message says why.  A value
too small for the capture kernel to even load is refused too, unless the admin
ticks "use it anyway" (a test that is meant to fail).
"""

from __future__ import annotations

from typing import Iterable, Optional

from textual.widget import Widget
from textual.widgets import Checkbox, Input, Static

from ..engine.crashkernel import MIB, normalize_spec, spec_cmdline
from ..engine.plan import resolve_auto
from ..engine.sizing import Suggestion, check_value, mib, suggest
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
        force = Checkbox("Use it anyway (a test that is meant to fail)", value=state.answers.force_crashkernel,
                         id="force-small")
        force.display = False
        yield force
        yield MemoryBar(ram, check_value(value, state.facts, s).reservation.reserved_bytes,
                        ascii_only=state.ascii, id="memory-bar")
        for w in s.warnings:
            yield para(f"Warning: {w}", classes="warning")
        yield para(estimate_table(s), classes="estimate")
        # The estimate's own reason repeats the table above it.
        why = [r for r in s.reasons if not r.startswith("estimate for this machine")]
        yield para("Why:\n" + "\n".join(f"- {r}" for r in why), classes="reasons")

    def on_mount(self) -> None:
        """Show the check of the pre-filled value."""
        inp = self.query_one("#crashkernel", Input)
        inp.cursor_blink = False
        self._show_check(inp.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        """Check as the admin types."""
        self._show_check(event.value)

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        """Forcing turns the refusal into a warning."""
        event.stop()
        self._show_check(self.query_one("#crashkernel", Input).value)

    def _forced(self) -> bool:
        box = self.query_one("#force-small", Checkbox)
        return bool(box.display and box.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the field means Next."""
        event.stop()
        self.action_next()

    def _value(self, text: str) -> str:
        """The typed value; ``auto`` (as in answers files) stands for the suggestion."""
        value = normalize_spec(text)
        if value.lower() == "auto":
            return resolve_auto(self.state.facts, self.state.suggestion)  # type: ignore[arg-type]
        return value

    def _show_check(self, text: str) -> None:
        value = self._value(text)
        label = self.query_one("#check", Static)
        if not value:
            label.update("Type a value, e.g. " + (self.state.suggestion.value if self.state.suggestion else "256M"))
            return
        box = self.query_one("#force-small", Checkbox)
        loose = check_value(value, self.state.facts, self.state.suggestion, force=True)
        strict = check_value(value, self.state.facts, self.state.suggestion)
        # The box is offered only when "too small to load" is the one thing wrong.
        box.display = loose.ok and not strict.ok
        checked = loose if box.display and box.value else strict
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
        value = self._value(self.query_one("#crashkernel", Input).value)
        if not value:
            return "enter a crashkernel= value"
        forced = self._forced()
        checked = check_value(value, self.state.facts, self.state.suggestion, force=forced)
        if not checked.ok:
            return f"{spec_cmdline(value)}: {checked.problems[0]}"
        auto_value = resolve_auto(self.state.facts, self.state.suggestion)  # type: ignore[arg-type]
        self.state.answers.crashkernel = "auto" if value == auto_value else value
        self.state.answers.force_crashkernel = forced
        return None


def estimate_table(s: Suggestion) -> str:
    """The estimate's terms as a two-column table (term, MiB), then the measured minimum if any."""
    title = "Estimate" + (" (model calibrated on measured captures)" if s.model == "measured"
                          else " (file-size model, not measured)")
    rows = [(what, f"{b / MIB:.1f}") for what, b in s.estimate_parts] + [("total, rounded up to 16 MiB",
                                                                          f"{s.estimate_bytes / MIB:.0f}")]
    width = max(len(n) for n, _ in rows)
    lines = [title + ":"] + [f"{what:<{width}} {value:>6} MiB" for what, value in rows]
    if s.measured is not None:
        lines.append(f"Measured on a machine like this one: {s.measured.min_captures_bytes // MIB}M was the smallest "
                     f"that captured ({s.measured.describe()}).")
    return "\n".join(lines)
