"""Step 4: where the dump goes and how it is written.

Local directory (with its free space), SSH (user@host and key; what still has
to be done on the server is said), NFS, or a raw device (RHEL family). Dump
level, compression and extra capture-kernel arguments start at the family's
defaults. Every field is validated by the engine's Answers rules on Next.
Test (Ctrl+T) checks the target as the capture kernel will use it -- writable,
room for a dump, the SSH login with its key -- without changing anything
(engine.targetcheck); it runs in a worker, since a login may take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from textual import on, work
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Input, RadioButton, RadioSet, Static

from ..engine.answers import Target
from ..engine.dumplevel import MAX_LEVEL, PAGE_KINDS, kinds_of, level_of
from ..engine.errors import KdumpwizError
from ..engine.families import handler
from ..engine.profiles import profile
from ..engine.sizing import mib
from ..engine.targetcheck import TargetReport, test_target
from ..messages import TargetTested
from ..widgets.choice import MarkedRadioButton
from .base import StepScreen, para, section

FAMILY_DEFAULTS = {
    "debian": "kdump-tools: makedumpfile -c -d 31 (zlib), capture kernel nr_cpus=1",
    "redhat": "kdumpctl: makedumpfile -l --message-level 7 -d 31 (lzo), capture kernel nr_cpus=1",
    "suse": "kdump: KDUMP_DUMPFORMAT=compressed, KDUMP_DUMPLEVEL=31",
}
LABELS = {"local": "Local directory", "ssh": "SSH server", "nfs": "NFS export", "raw": "Raw device"}


class TargetTypeSet(RadioSet):
    """The dump target types: Up/Down move, Enter chooses; Enter on the chosen type goes on."""

    BINDINGS = [Binding("enter", "choose", "Choose", show=False)]

    @dataclass
    class Confirmed(Message):
        """Enter was pressed on the type that is already chosen."""

        radio_set: "TargetTypeSet"

    def action_choose(self) -> None:
        """Choose the highlighted type, or confirm it when it is already the chosen one."""
        highlighted = self._selected
        buttons = list(self.query(RadioButton))
        if highlighted is None or highlighted >= len(buttons) or buttons[highlighted].value:
            self.post_message(self.Confirmed(self))
        else:
            self.action_toggle_button()


class TargetScreen(StepScreen):
    """The dump target and format."""

    STEP = 4
    AUTO_FOCUS = "#target-type"  # Up/Down change the type at once; Tab reaches the fields
    BINDINGS = StepScreen.BINDINGS + [
        Binding("ctrl+t", "test_target", "Test target"),
        Binding("t", "test_target", "Test target", show=False),
    ]

    def compose_body(self) -> Iterable[Widget]:
        """Type choice, the fields of each type, format options."""
        state = self.state
        a = state.answers
        types = profile(state.facts.family).target_types
        yield section("Dump target")
        with TargetTypeSet(id="target-type"):
            for t in types:
                yield MarkedRadioButton(LABELS[t], value=(t == a.target.type), id=f"type-{t}")
        free = state.facts.dump.free_bytes
        yield para(f"Directory (local: where dumps are written; free there now: {mib(free) if free else 'unknown'};"
                   " SSH/NFS: the directory on the server):")
        yield Input(value=a.target.path, id="path")
        yield para("SSH: user@host / NFS: server:/export", classes="remote")
        yield Input(value=a.target.host or "", id="host", classes="remote", placeholder="kdump@backup.example.com")
        yield para("SSH private key (optional; never read or shown by kdumpwiz):", classes="ssh")
        yield Input(value=a.target.key or "", id="key", classes="ssh", placeholder="/root/.ssh/kdump_id_rsa")
        yield para("Raw device (everything on it is overwritten):", classes="raw")
        yield Input(value=a.target.device or "", id="device", classes="raw", placeholder="/dev/vdb1")
        yield Static("", id="target-note", markup=False)
        yield Static("", id="target-test", markup=False)
        yield section("Dump format")
        yield para("Family default: " + FAMILY_DEFAULTS.get(state.facts.family or "", "n/a"))
        yield para("Leave out of the dump (makedumpfile's dump level; the number below follows):")
        with Horizontal(id="page-kinds"):
            for bit, name, _ in PAGE_KINDS:
                # Short labels (makedumpfile's own words for the bits): three fit on 80 columns.
                yield Checkbox(f"{name} pages", value=bool(a.dump_level & bit), id=f"kind-{name}", compact=True)
        yield para("Dump level (0-31, the sum of the kinds left out: zero 1, cache 2, private 4, user 8, free 16):")
        yield Input(value=str(a.dump_level), id="dump-level")
        yield para("Compression (default, none, zlib, lzo, snappy, zstd):")
        yield Input(value=a.compression, id="compression")
        yield para("Extra capture-kernel arguments (optional):")
        yield Input(value=a.extra_args, id="extra-args")
        fam = handler(state.facts.family) if state.facts.family else None
        if fam is not None and fam.KEEP_DUMPS_VAR:
            yield para(f"Dumps to keep before the oldest is removed (0: all; empty: leave {fam.KEEP_DUMPS_VAR} as it is):")
            yield Input(value="" if a.keep_dumps is None else str(a.keep_dumps), id="keep-dumps", placeholder="e.g. 3")
        if fam is not None and fam.FAILURE_ACTIONS:
            yield para(f"When saving the dump fails ({', '.join(('default',) + fam.FAILURE_ACTIONS)}; "
                       "default: the service's own choice):")
            yield Input(value=a.failure_action, id="failure-action")

    def compose_buttons(self) -> Iterable[Widget]:
        """Test, then Next."""
        yield Button("Test target", id="test", compact=True)
        yield from super().compose_buttons()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Test runs the target test; the other buttons are the steps' own."""
        if event.button.id == "test":
            event.stop()
            event.prevent_default()
            self.action_test_target()
        # Next and Back: StepScreen.on_button_pressed runs after this one (Textual calls the
        # handlers of the base classes too); calling it here as well pushed Review twice.

    def action_test_target(self) -> None:
        """Take the fields as they are and test that target (in a worker)."""
        problem = self.validate_step()
        if problem:
            self._show_test(problem, "error")
            return
        self._show_test("Testing the target...", "")
        self._run_test()

    @work(thread=True, exclusive=True, group="target-test", description="Testing the dump target",
          exit_on_error=False)
    def _run_test(self) -> None:
        state = self.state
        self.post_message(TargetTested(test_target(state.host, state.facts, state.answers)))

    @on(TargetTested)
    def _tested(self, message: TargetTested) -> None:
        self._show_test(format_report(message.report, self.state.demo),
                        {"ok": "ok", "skip": "", "warn": "warning", "fail": "error"}[message.report.status])

    def _show_test(self, text: str, cls: str) -> None:
        box = self.query_one("#target-test", Static)
        box.set_classes(cls)
        box.update(text)
        if text:
            # Only a result is worth scrolling to (clearing one at mount must not move the page).
            box.scroll_visible()

    def on_mount(self) -> None:
        """No blinking cursors (idle output 0 bytes/s); show the fields of the chosen type."""
        for inp in self.query(Input):
            inp.cursor_blink = False
        self._show_fields()
        # Focusing the type choice scrolls its highlighted row into view, which hid the step's
        # first heading once the page grew taller than the terminal: start at the top.
        self.call_after_refresh(lambda: self.query_one("#body").scroll_home(animate=False))

    def _type(self) -> str:
        pressed = self.query_one("#target-type", RadioSet).pressed_button
        return (pressed.id or "type-local")[len("type-"):] if pressed is not None else "local"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in any field means Next (the defaults are accepted as they are)."""
        event.stop()
        self.action_next()

    def on_target_type_set_confirmed(self, event: "TargetTypeSet.Confirmed") -> None:
        """Enter on the type already chosen means Next, as Enter in a field does."""
        event.stop()
        self.action_next()

    # The two views of the dump level update each other with their Changed messages held back:
    # those messages arrive after the update, so an echo of one typed key could otherwise land
    # after the next and put the older number back ("1" then "7" ending as 1, not 17).

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        """A page kind ticked or cleared: the dump level number follows."""
        kinds = [name for _, name, _ in PAGE_KINDS if self.query_one(f"#kind-{name}", Checkbox).value]
        with self.prevent(Input.Changed):
            self.query_one("#dump-level", Input).value = str(level_of(kinds))

    def on_input_changed(self, event: Input.Changed) -> None:
        """A dump level typed: the page kinds follow (only for a valid number)."""
        text = event.value.strip()
        if event.input.id != "dump-level" or not text.isdigit() or int(text) > MAX_LEVEL:
            return
        left_out = kinds_of(int(text))
        with self.prevent(Checkbox.Changed):
            for _, name, _ in PAGE_KINDS:
                self.query_one(f"#kind-{name}", Checkbox).value = name in left_out

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        """Switching the type shows its fields."""
        self._show_fields()

    def _show_fields(self) -> None:
        kind = self._type()
        self._show_test("", "")  # a result belongs to the target it tested
        for w in self.query(".remote"):
            w.display = kind in ("ssh", "nfs")
        for w in self.query(".ssh"):
            w.display = kind == "ssh"
        for w in self.query(".raw"):
            w.display = kind == "raw"
        notes = {
            "local": "Dumps are written below this directory on this machine.",
            "ssh": "On the server: the user must exist, the key must be authorised for it (kdump-config/kdumpctl "
                   "propagate does that), and the directory must exist.",
            "nfs": "The export must be writable by root from this machine (no_root_squash or a suitable uid).",
            "raw": "The device must not be mounted or used by anything else.",
        }
        self.query_one("#target-note", Static).update(notes[kind])

    def validate_step(self) -> Optional[str]:
        """Build the answers from the fields; the engine's validation decides."""
        kind = self._type()
        val = {i.id: i.value.strip() for i in self.query(Input)}
        target = Target(
            type=kind,
            path=val["path"] or "/var/crash",
            host=val["host"] or None if kind in ("ssh", "nfs") else None,
            key=val["key"] or None if kind == "ssh" else None,
            device=val["device"] or None if kind == "raw" else None,
        )
        level = val["dump-level"]
        if not level.isdigit():
            return f"dump level: {level!r} is not a number from 0 to 31"
        keep_text = val.get("keep-dumps", "")
        if keep_text and not keep_text.isdigit():
            return f"dumps to keep: {keep_text!r} is not a number (0 keeps all; leave it empty to keep the setting)"
        a = self.state.answers
        old = (a.target, a.dump_level, a.compression, a.extra_args, a.keep_dumps, a.failure_action)
        a.target, a.dump_level, a.compression, a.extra_args = target, int(level), val["compression"], val["extra-args"]
        a.keep_dumps = int(keep_text) if keep_text else None
        a.failure_action = val.get("failure-action") or "default"
        try:
            a.validate()
            fam = handler(self.state.facts.family)
            fam.check_target(a.target)
            fam.check_options(a)
        except KdumpwizError as exc:
            a.target, a.dump_level, a.compression, a.extra_args, a.keep_dumps, a.failure_action = old
            return exc.message
        return None


def format_report(report: TargetReport, demo: bool = False) -> str:
    """The test's checks as ASCII-marked lines, with the fix under each failure."""
    head = f"Test of {report.where}:" + ("  (DEMO: the demo machine's files)" if demo else "")
    return "\n".join([head] + report.lines() + [report.summary])
