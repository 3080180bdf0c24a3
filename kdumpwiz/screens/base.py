"""What every step shares: the header with step and DEMO marker, the body, Back/Next, the footer.

Navigation is the screen stack: Next pushes the following step, Back pops, so
the previous step comes back exactly as it was left. Every action has a key in
the footer (Ctrl+N / Ctrl+P / Ctrl+Q, with n/b/q aliases outside text fields);
Back is not only Escape, because tmux delays Escape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional, Protocol

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Button, Footer, Static

from ..engine.errors import KdumpwizError
from ..messages import ApplyFinished, ApplyProgressed
from . import STEP_LIST_MIN_WIDTH, STEPS, step_list, step_progress

if TYPE_CHECKING:  # pragma: no cover
    from ..state import WizardState


class Wizard(Protocol):
    """What a step needs of the app: the shared state and the factory of steps.

    Screens reach the app through this interface only, so no screen imports
    ``kdumpwiz.app`` (which imports every screen): there is no circle, not even
    one for the type checker (tests/test_code_rules.py).
    """

    state: "WizardState"

    def make_step(self, step: int) -> Screen:
        """A new screen for step ``step`` (1-8)."""
        ...


class YesNoDialog(ModalScreen[bool]):
    """A question with Cancel (``#no``, focused: the safe default) and a confirming button (``#yes``).

    Subclasses compose the question and the two buttons with :meth:`compose_dialog`
    and bind their keys (y / n / Escape) to :meth:`action_yes` and :meth:`action_no`.
    """

    def compose_dialog(self, question: str, yes_label: str, yes_variant: str,
                       question_id: Optional[str] = None) -> ComposeResult:
        """The question, then Cancel and the confirming button side by side."""
        with Vertical(id="dialog"):
            yield Static(question, markup=False, id=question_id)
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="no", compact=True)
                yield Button(yes_label, id="yes", variant=yes_variant, compact=True)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        """Cancel is the safe default."""
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Map buttons to the answer."""
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        """Confirmed."""
        self.dismiss(True)

    def action_no(self) -> None:
        """Not now."""
        self.dismiss(False)


class ConfirmQuit(YesNoDialog):
    """Yes/no before leaving the wizard with choices that were never applied."""

    BINDINGS = [Binding("y", "yes", "Quit"), Binding("n", "no", "Cancel"), Binding("escape", "no", show=False)]

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        """The question and two buttons."""
        yield from self.compose_dialog(f"Quit kdumpwiz? {self.what} Nothing was written; these choices will be "
                                       "lost. (y/n)", "Quit", "warning")


class StepScreen(Screen):
    """Base class of the eight steps."""

    STEP = 0
    NEXT_LABEL = "Next"
    SHOW_BACK = True
    AUTO_FOCUS = "#next"
    # Ctrl keys work even while a text field has focus (letters go into the field);
    # the letters are aliases for screens without one. Back is not only Escape,
    # which tmux delays, and not Ctrl+B, which is tmux's prefix.
    BINDINGS = [
        Binding("ctrl+n", "next", "Next"),
        Binding("ctrl+p", "back", "Back"),
        Binding("n", "next", "Next", show=False),
        Binding("b", "back", "Back", show=False),
        Binding("escape", "back", "Back", show=False),
        Binding("q", "quit_wizard", "Quit", show=False),
    ]

    @property
    def wizard(self) -> Wizard:
        """The app, as the steps see it."""
        return self.app  # type: ignore[return-value]

    @property
    def state(self) -> "WizardState":
        """The shared wizard state."""
        return self.wizard.state

    def header_text(self, width: int = 80) -> str:
        """``kdumpwiz  3/8 Memory  |  host`` plus the DEMO marker, fitted to ``width`` columns.

        The marker is the last thing to lose: in the demo nothing is real, and a
        narrow terminal (40x12) must still say so. The host name gives way first.
        """
        # Fits 80 columns with the longest title and a 20-character host name.
        demo = "  [DEMO]" if self.state.demo else ""
        host = self.state.facts.hostname[:24]
        text = f"kdumpwiz  {self.STEP}/{len(STEPS)} {STEPS[self.STEP - 1]}  |  {host}{demo}"
        if width < STEP_LIST_MIN_WIDTH:
            # No room for the step list beside the content: the header shows where this step is.
            with_progress = f"kdumpwiz {step_progress(self.STEP)} {self.STEP}/{len(STEPS)} {STEPS[self.STEP - 1]}  |  {host}{demo}"
            if len(with_progress) <= width:
                return with_progress
        if len(text) <= width:
            return text
        short = f"{self.STEP}/{len(STEPS)} {STEPS[self.STEP - 1]}"
        room = width - len(short) - len(demo) - 3
        if room >= 4:
            short += " | " + host[:room]
        return (short[: max(0, width - len(demo))] + demo)[:width] if demo else short[:width]

    def on_resize(self, event: events.Resize) -> None:
        """Refit the header to the new width; the step list shows from STEP_LIST_MIN_WIDTH columns."""
        self.query_one("#step-header", Static).update(self.header_text(event.size.width))
        self.query_one("#step-list", Static).display = event.size.width >= STEP_LIST_MIN_WIDTH

    def compose(self) -> ComposeResult:
        """Header, scrollable body, buttons, footer."""
        # Laid out for the terminal's width now, not only at the first Resize event: a screen
        # drawn before that event arrives (a busy machine) must not show the other layout.
        width = self.app.size.width or 80
        yield Static(self.header_text(width), id="step-header", markup=False)
        with Horizontal(id="main"):
            steps = Static(step_list(self.STEP), id="step-list", markup=False)
            steps.display = width >= STEP_LIST_MIN_WIDTH
            yield steps
            with VerticalScroll(id="body"):
                yield from self.compose_body()
        with Horizontal(id="buttons"):
            if self.SHOW_BACK:
                yield Button("Back", id="back", compact=True)
            yield from self.compose_buttons()
        yield Footer()

    def compose_body(self) -> Iterable[Widget]:
        """The step's own content."""
        return []

    def compose_buttons(self) -> Iterable[Widget]:
        """Buttons after Back; by default Next."""
        yield Button(self.NEXT_LABEL, id="next", variant="primary", compact=True)

    def check_action(self, action: str, parameters: tuple) -> Optional[bool]:
        """Steps without a way back (Apply, Reboot, Verify) hide and refuse Back."""
        if action == "back" and not self.SHOW_BACK:
            return False
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Buttons map onto the same actions as the keys.

        Textual calls this after a subclass's own ``on_button_pressed`` (handlers run along
        the class hierarchy): subclasses handle their buttons and must not call it again.
        """
        action = {"next": self.action_next, "back": self.action_back}.get(event.button.id or "")
        if action is not None:
            event.stop()
            action()

    # -- actions -------------------------------------------------------------

    def validate_step(self) -> Optional[str]:
        """None when the step may be left forward, else the reason (shown to the admin)."""
        return None

    def next_screen(self) -> Optional[Screen]:
        """The screen Next pushes (None: Next does nothing here)."""
        return self.wizard.make_step(self.STEP + 1)

    def action_next(self) -> None:
        """Validate, store, and go to the next step."""
        problem = self.validate_step()
        if problem:
            self.notify(problem, title="Cannot continue", severity="error", timeout=8)
            self.app.bell()
            return
        screen = self.next_screen()
        if screen is not None:
            # A "Cannot continue" from an attempt before the fix must not follow the admin to the next step.
            self.app.clear_notifications()
            self.app.push_screen(screen)

    def action_back(self) -> None:
        """Return to the previous step, as it was left."""
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def action_quit_wizard(self) -> None:
        """Leave the wizard (asking first when choices would be lost); nothing is written unless Apply ran."""
        self.app.action_request_quit()  # type: ignore[attr-defined]

    # -- engine operations ---------------------------------------------------

    def run_reporting(self, operation: str, run: Callable[..., Any]) -> None:
        """Call ``run(on_event=..., on_output=...)`` (apply, finish, rollback) from a thread worker.

        Each engine event becomes an ApplyProgressed message and the end an
        ApplyFinished one (with the error text, if any), so the screen updates
        on its own thread.
        """
        def event(kind: str, text: str) -> None:
            self.post_message(ApplyProgressed(kind, text))

        try:
            run(on_event=event, on_output=lambda line: event("output", line))
        except KdumpwizError as exc:
            self.post_message(ApplyFinished(operation, str(exc)))
            return
        self.post_message(ApplyFinished(operation, None))


def progress_line(message: ApplyProgressed) -> str:
    """A progress event as a log line: '$ ' before commands, '* ' before files, output indented."""
    return {"command": "$ ", "output": "  ", "file": "* "}.get(message.kind, "") + message.text


def section(title: str) -> Static:
    """A bold section title inside a step's body."""
    return Static(title, classes="section", markup=False)


def para(text: str, classes: str = "") -> Static:
    """A paragraph of plain (unmarked) text."""
    return Static(text, classes=("para " + classes).strip(), markup=False)
