"""A one-line picture of RAM against the crash-kernel reservation."""

from __future__ import annotations

from textual.widgets import Static

from ..engine.sizing import mib


def bar_text(ram: int, reserved: int, width: int = 30, ascii_only: bool = False) -> str:
    """``[####......] 288 MiB of 16 GiB (1.8 %)`` with # for the reservation."""
    if ram <= 0:
        return "RAM unknown"
    cells = max(1, round(width * reserved / ram)) if reserved else 0
    fill, empty = ("#", ".") if ascii_only else ("█", "░")
    share = 100.0 * reserved / ram
    return f"[{fill * cells}{empty * (width - cells)}] {mib(reserved)} reserved of {mib(ram)} ({share:.1f} %)"


class MemoryBar(Static):
    """RAM vs reservation; call :meth:`show` to update."""

    DEFAULT_CSS = """
    MemoryBar { height: 1; margin: 1 0; }
    """

    def __init__(self, ram: int, reserved: int, ascii_only: bool = False, **kwargs) -> None:
        super().__init__(bar_text(ram, reserved, ascii_only=ascii_only), markup=False, **kwargs)
        self._ram = ram
        self._ascii = ascii_only

    def show(self, reserved: int) -> None:
        """Redraw for a new reservation size."""
        self.update(bar_text(self._ram, reserved, ascii_only=self._ascii))
