"""A radio button whose mark is visible without colour.

Textual draws the same dot in every radio button and tells the chosen one
apart by colour only. Over a monochrome serial console, with ``NO_COLOR``, or
in ``tmux capture-pane`` text, every option then looks chosen. Here an
unchosen button has a blank where the mark goes.
"""

from __future__ import annotations

from textual.content import Content
from textual.style import Style
from textual.widgets import RadioButton


class MarkedRadioButton(RadioButton):
    """A :class:`RadioButton` that draws its mark only when it is on."""

    @property
    def _button(self) -> Content:
        # As ToggleButton._button (Textual 8.2), with the inner glyph chosen by value.
        button_style = self.get_visual_style("toggle--button")
        side_style = Style(foreground=button_style.background, background=self.background_colors[1])
        inner = self.BUTTON_INNER if self.value else " " * len(self.BUTTON_INNER)
        return Content.assemble(
            (self.BUTTON_LEFT, side_style),
            (inner, button_style),
            (self.BUTTON_RIGHT, side_style),
        )
