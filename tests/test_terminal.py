"""The wizard on a real pseudo-terminal: quiet when idle, ASCII-only on TERM=linux.

Pilot tests drive the app inside Textual's headless driver; these start the
installed entry point on a pty, as sshd or tmux would, and read every byte
it writes. Byte counts, not timings, are asserted: an idle wizard writes
nothing at all (cursor blink, animations and clock redraws would all show).
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path
from typing import Dict, Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
CTRL_N = b"\x0e"
CTRL_Q = b"\x11"


class Wizard:
    """``kdumpwiz --demo`` on a pty of 80x24."""

    def __init__(self, tmp_path: Path, env: Dict[str, str], args=("--demo",), command=None) -> None:
        """``command``: what starts kdumpwiz (default: this interpreter's ``-m kdumpwiz`` of this tree)."""
        base = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "SSH_")) and k not in (
            "NO_COLOR", "COLORTERM", "TMUX", "STY")}
        base.update(TMPDIR=str(tmp_path), PYTHONPATH=str(ROOT), LANG="C.UTF-8")
        if command is not None:
            del base["PYTHONPATH"]  # the command brings its own kdumpwiz (the single-file build)
        base.update(env)
        argv = list(command or [sys.executable, "-m", "kdumpwiz"]) + list(args)
        pid, fd = pty.fork()
        if pid == 0:  # child: the terminal is 80x24 before Textual asks
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
            os.execvpe(argv[0], argv, base)
        self.pid, self.fd = pid, fd
        self.output = bytearray()

    def read_for(self, seconds: float) -> bytes:
        """Everything written during ``seconds``."""
        got = bytearray()
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                got += chunk
        self.output += got
        return bytes(got)

    def settle(self, quiet: float = 1.5, limit: float = 30.0) -> None:
        """Wait until nothing was written for ``quiet`` seconds (the screen is drawn)."""
        end = time.monotonic() + limit
        while time.monotonic() < end:
            if not self.read_for(quiet):
                return
        raise AssertionError("the wizard never stopped writing")

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def next_steps(self, n: int) -> None:
        """Ctrl+N ``n`` times, letting each step draw."""
        for _ in range(n):
            self.send(CTRL_N)
            self.settle()

    def close(self) -> Optional[int]:
        self.send(CTRL_Q)
        end = time.monotonic() + 15
        while time.monotonic() < end:
            self.read_for(0.2)
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                os.close(self.fd)
                return status
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)
        return None


@pytest.fixture
def wizard(tmp_path):
    started = []

    def start(**env: str) -> Wizard:
        w = Wizard(tmp_path, env)
        started.append(w)
        return w

    yield start
    for w in started:
        try:
            os.kill(w.pid, signal.SIGKILL)
            os.waitpid(w.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def test_idle_wizard_writes_nothing(wizard, tmp_path):
    """System, Memory (a text field with a cursor) and Review, each left alone for 3 s: 0 bytes."""
    w = wizard(TERM="xterm-256color")
    w.settle()
    assert b"kdumpwiz" in w.output and b"DEMO" in w.output
    idle = {"System": len(w.read_for(3))}
    w.next_steps(2)
    assert b"Memory" in w.output
    idle["Memory"] = len(w.read_for(3))
    w.next_steps(2)
    assert b"Review" in w.output
    idle["Review"] = len(w.read_for(3))
    assert idle == {"System": 0, "Memory": 0, "Review": 0}
    assert w.close() is not None
    assert not list(tmp_path.glob("kdumpwiz-demo-*")), "the demo tree stayed behind"


@pytest.mark.parametrize("term", ["linux", "vt100"])
def test_console_terminals_get_only_ascii(wizard, term):
    """Every byte written to a Linux console or a VT100 is ASCII, on every step walked."""
    w = wizard(TERM=term)
    w.settle()
    w.next_steps(4)
    assert b"Review" in w.output
    w.close()
    bad = sorted({b for b in w.output if b > 0x7F})
    assert not bad, f"non-ASCII bytes written on TERM={term}: {bad[:10]}"


def test_linux_console_draws_the_radio_brackets_visibly(wizard):
    """TERM=linux: the Dump target step's radio brackets were black on the default background
    (invisible on a black console). Replayed through a terminal emulator (pyte), every bracket
    cell of the type choice has a colour that is not the background's."""
    import pyte

    w = wizard(TERM="linux")
    w.settle()
    w.next_steps(3)
    assert b"Local directory" in w.output
    screen = pyte.Screen(80, 24)
    pyte.ByteStream(screen).feed(bytes(w.output))
    w.close()
    rows = [y for y in range(24) if any(t in "".join(c.data for c in screen.buffer[y].values())
                                        for t in ("Local directory", "SSH server", "NFS export"))]
    assert len(rows) == 3, [("".join(c.data for c in screen.buffer[y].values())) for y in range(24)]
    # The dump level's page kinds (checkboxes "[X] zero pages") further down the step.
    boxes = [y for y in range(24) if "zero pages" in "".join(c.data for c in screen.buffer[y].values())]
    assert boxes, "the page kinds are not on the first screen of the step"
    for y in rows + boxes:
        line = screen.buffer[y]
        text = "".join(line[x].data for x in range(80))
        left, right = ("(", ")") if y in rows else ("[", "]")
        for x in (text.index(left), text.index(right)):
            cell = line[x]
            fg, bg = cell.fg, cell.bg
            # "default" is the console's own text colour on its own background: always visible.
            plain = fg == "default" and bg == "default"
            assert plain or (fg != bg and not (fg == "black" and bg in ("default", "black"))), (text.strip(), x, fg, bg)
