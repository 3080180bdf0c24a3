"""The Textual app: owns the shared state, picks the first step, switches display modes.

Display modes (decided by :func:`display_settings` before Textual is imported,
because Textual reads its environment once at import):

* ASCII (``--ascii``, ``TERM=linux``/``vt100``): every character drawn is ASCII.
* 16 colours (``TERM`` without 256color and no ``COLORTERM``): the ``ansi-dark``
  theme, built on the terminal's own palette.
* ``NO_COLOR``: honoured by Textual (greyscale); nothing depends on colour alone.
* Quiet on the wire: no blinking cursors, no animations, a lower frame rate
  over SSH, mouse off unless ``--mouse``.
"""

from __future__ import annotations

import copy
import os
from typing import TYPE_CHECKING, Callable, Dict, Mapping, Optional

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.scrollbar import ScrollBarRender

if TYPE_CHECKING:  # pragma: no cover
    from .messages import WizardStarted
    from .state import WizardState

# Nothing of the engine is imported here: `kdumpwiz` draws its first frame while a worker
# imports it and detects the machine (bench/speed); tests/test_code_rules.py keeps it so.

ASCII_TERMS = ("linux", "vt100", "vt102", "vt220", "dumb")


def display_settings(environ: Mapping[str, str], ascii_flag: bool = False) -> Dict[str, object]:
    """The display decisions for a terminal environment (pure; tested without a terminal)."""
    term = environ.get("TERM", "")
    ascii_mode = ascii_flag or term in ASCII_TERMS
    sixteen = not environ.get("COLORTERM") and "256color" not in term and "truecolor" not in term
    return {
        "ascii": ascii_mode,
        "theme": "ansi-dark" if (sixteen or ascii_mode) else "textual-dark",
        "fps": "5" if environ.get("SSH_CONNECTION") else "30",
    }


def textual_environment(environ: Mapping[str, str]) -> Dict[str, str]:
    """TEXTUAL_* variables to set before importing Textual (quiet output on slow links)."""
    return {"TEXTUAL_FPS": str(display_settings(environ)["fps"]), "TEXTUAL_ANIMATIONS": "none"}


def _set_glyphs(vertical, horizontal, toggle, check=None):
    """Swap Textual's class-level scrollbar, radio and checkbox glyphs; returns the previous ones.

    The radio glyphs are set on RadioButton itself: it defines its own
    BUTTON_INNER ("●"), so changing ToggleButton's left the dot non-ASCII.
    Checkbox uses ToggleButton's half-block brackets ("▐X▌"): set on Checkbox.
    """
    from textual.widgets import Checkbox, RadioButton

    old = (ScrollBarRender.VERTICAL_BARS, ScrollBarRender.HORIZONTAL_BARS,
           (RadioButton.BUTTON_LEFT, RadioButton.BUTTON_INNER, RadioButton.BUTTON_RIGHT),
           (Checkbox.BUTTON_LEFT, Checkbox.BUTTON_INNER, Checkbox.BUTTON_RIGHT))
    ScrollBarRender.VERTICAL_BARS = vertical
    ScrollBarRender.HORIZONTAL_BARS = horizontal
    RadioButton.BUTTON_LEFT, RadioButton.BUTTON_INNER, RadioButton.BUTTON_RIGHT = toggle
    if check is not None:
        Checkbox.BUTTON_LEFT, Checkbox.BUTTON_INNER, Checkbox.BUTTON_RIGHT = check
    return old


def _stylesheet() -> str:
    """app.tcss through this module's loader: a plain file, or a member of the single-file build.

    Textual's CSS_PATH opens a path beside the module, which does not exist inside a zip
    (kdumpwiz.pyz); every loader (files, zipimport) reads its package's data with get_data.
    """
    path = os.path.join(os.path.dirname(__file__), "app.tcss")
    return __loader__.get_data(path).decode("utf-8")  # type: ignore[name-defined,attr-defined]


class KdumpwizApp(App[int]):
    """The wizard."""

    CSS = _stylesheet()
    ENABLE_COMMAND_PALETTE = False
    TITLE = "kdumpwiz"
    # Ctrl+C too, and above every widget: admins press it to leave (in a text field Textual would
    # take it as "copy", and nothing would happen). Both ask first when choices would be lost.
    BINDINGS = [Binding("ctrl+q", "request_quit", "Quit", priority=True),
                Binding("ctrl+c", "request_quit", "Quit", show=False, priority=True)]

    def __init__(self, state: "Optional[WizardState]" = None, *, theme: str = "textual-dark",
                 start_step: Optional[int] = None, start: "Optional[Callable[[], WizardState]]" = None,
                 demo: bool = False, ascii: bool = False) -> None:
        """``state`` ready-made (tests), or ``start``: how to make it, called in a worker after the first frame.

        ``demo`` and ``ascii`` are what the first frame needs to know before ``start`` has run.
        """
        super().__init__()
        if (state is None) == (start is None):
            raise ValueError("KdumpwizApp needs a state or a start function, not both")
        self.state: "WizardState" = state  # type: ignore[assignment]  # set by the worker when None
        self._start = start
        self._demo = demo if state is None else state.demo
        self._ascii = ascii if state is None else state.ascii
        #: The error that ended the start (the command line reports it after the terminal is restored):
        #: a KdumpwizError as its message, anything else (a bug) with its traceback, as before the app ran.
        self.start_error: "Optional[BaseException]" = None
        #: Notes of the start (where a new demo machine lives), for the command line to print on exit.
        self.start_notes: list = []
        # What the run started with (--answers or defaults): quitting with exactly these loses nothing.
        # (a copy: the steps change the Answers object in place).
        self._answers_at_start = copy.deepcopy(state.answers) if state is not None else None
        self._theme_name = theme
        self._start_step = start_step

    def action_request_quit(self) -> None:
        """Quit; while an apply or rollback runs, refuse; with unapplied choices, ask first."""
        if any(w.group == "apply" and not w.is_finished for w in self.workers):
            self.notify("An apply or rollback is running: quitting now would interrupt it. Wait for it to end.",
                        title="Not now", severity="warning", timeout=8)
            return
        lost = self.unapplied_choices() if self.state is not None else None
        if lost is None:
            self.exit()
            return
        from .screens.base import ConfirmQuit

        self.push_screen(ConfirmQuit(lost), lambda yes: self.exit() if yes else None)

    def unapplied_choices(self) -> Optional[str]:
        """What quitting would throw away, in a sentence (None: nothing)."""
        state = self.state
        if state.apply_result is not None or state.answers == self._answers_at_start:
            return None
        if state.plan is not None:
            return f"The plan (crashkernel={state.plan.crashkernel}) was reviewed but not applied."
        return "The choices made in the steps so far were not applied."

    def on_mount(self) -> None:
        """Theme, ASCII mode, then the first step."""
        self.theme = self._theme_name
        self._saved_glyphs = None
        if self._ascii:
            self.add_class("-ascii")
            self._saved_glyphs = _set_glyphs(["#"] * 8 + [" "], ["#"] * 8 + [" "], ("(", "*", ")"), ("[", "X", "]"))
        if self.state is None:
            from .screens.starting import StartingScreen

            self.push_screen(StartingScreen(self._demo))
            # After the first frame is on the terminal: the worker's imports would only delay it.
            self.call_after_refresh(self._run_start)
            return
        self.push_screen(self.make_step(self._start_step or self.first_step()))

    def _run_start(self) -> None:
        self.run_worker(self._start_in_thread, name="start", group="start", thread=True, exit_on_error=False)

    def _start_in_thread(self) -> None:
        """Worker: import the engine, detect, build the state; the result goes to the main thread as a message."""
        # Here, not at the top: the first frame does not wait for the messages' dataclasses.
        # (Textual finds on_wizard_started by the message's name, not through this import.)
        from .messages import WizardStarted

        assert self._start is not None
        try:
            state = self._start()
        except Exception as exc:  # noqa: BLE001 - the command line reports it; the wizard must not hang here
            self.post_message(WizardStarted(None, exc))
            return
        self.post_message(WizardStarted(state, None))

    def on_wizard_started(self, message: WizardStarted) -> None:
        """Detection is done: the first step replaces the starting screen (or the app ends with the error)."""
        from .engine.errors import KdumpwizError

        if message.error is not None:
            self.start_error = message.error
            code = message.error.exit_code if isinstance(message.error, KdumpwizError) else 1
            self.exit(code, return_code=code)
            return
        assert message.state is not None
        self.state = message.state
        self._answers_at_start = copy.deepcopy(self.state.answers)
        self.switch_screen(self.make_step(self._start_step or self.first_step()))

    def on_unmount(self) -> None:
        """Glyphs are class-level state: give other apps in this process theirs back."""
        if self._saved_glyphs is not None:
            _set_glyphs(*self._saved_glyphs)

    def first_step(self) -> int:
        """Where a run starts: Verify after an apply that waits for (or had) its reboot, else System.

        An interrupted apply starts at System, whose warnings say so (the CLI
        offers 'apply --finish' and 'rollback').
        """
        from .engine.apply import StateDir, interrupted

        if self.state.facts.blockers or interrupted(self.state.host) is not None:
            return 1
        pending = StateDir(self.state.host).pending()
        if pending:
            running = self.state.facts.kexec.running_crashkernel
            return 8 if running == pending.get("crashkernel") else 7
        return 1

    def make_step(self, step: int) -> Screen:
        """A new screen for step number ``step`` (1-based)."""
        from .screens.apply import ApplyScreen
        from .screens.memory import MemoryScreen
        from .screens.packages import PackagesScreen
        from .screens.reboot import RebootScreen
        from .screens.review import ReviewScreen
        from .screens.system import SystemScreen
        from .screens.target import TargetScreen
        from .screens.verify import VerifyScreen

        classes = (SystemScreen, PackagesScreen, MemoryScreen, TargetScreen, ReviewScreen, ApplyScreen,
                   RebootScreen, VerifyScreen)
        return classes[step - 1]()
