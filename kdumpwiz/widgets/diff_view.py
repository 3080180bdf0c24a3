"""A unified diff rendered with the app's theme, readable without colour.

The ``+``/``-`` markers stay part of the text, so the diff reads the same with
NO_COLOR, on 16 colours or in ASCII mode; colour only helps.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

_STYLES = (
    ("+++", "bold"),
    ("---", "bold"),
    ("@@", "$text-accent"),
    ("+", "$text-success"),
    ("-", "$text-error"),
    ("\\", "italic"),
)


def diff_content(diff: str) -> Content:
    """Theme-styled :class:`Content` for unified diff text."""
    lines = []
    for line in diff.splitlines():
        style = next((s for prefix, s in _STYLES if line.startswith(prefix)), "")
        lines.append(Content.styled(line, style) if style else Content(line))
    return Content("\n").join(lines)


class DiffView(Static):
    """One file's diff."""

    DEFAULT_CSS = """
    DiffView {
        padding: 0 1;
        margin-bottom: 1;
        width: auto;
        min-width: 100%;
    }
    """

    def __init__(self, diff: str, **kwargs) -> None:
        super().__init__(diff_content(diff), markup=False, **kwargs)
