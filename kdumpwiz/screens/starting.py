"""The screen drawn while the machine is detected: the wizard's first frame, before any step.

Detection (and importing the engine it needs) runs in a worker after this screen
is on the terminal, so an admin sees the wizard as soon as Textual can draw, not
after everything is read (bench/speed, issue 13 §4). It imports nothing of the
engine; it knows only whether this is the demo, so the marker shows from the start.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static


class StartingScreen(Screen):
    """``kdumpwiz | detecting this machine ...`` with the DEMO marker; replaced by the first step."""

    def __init__(self, demo: bool) -> None:
        super().__init__()
        self.demo = demo

    def compose(self) -> ComposeResult:
        """The same header line as the steps, and one sentence of what is happening."""
        yield Static("kdumpwiz  |  detecting this machine" + ("  [DEMO]" if self.demo else ""),
                     id="step-header", markup=False)
        yield Static("Reading the distribution, the boot loader, the memory and the kdump packages ...",
                     id="starting", markup=False)
