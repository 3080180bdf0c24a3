"""Pilot flow tests of the wizard on fixture machines and the demo.

Each test drives the real app with keys, as an admin would, and checks the
screens, the shared state and the files on disk.
"""

from __future__ import annotations


import pytest

from kdumpwiz.app import KdumpwizApp, display_settings
from kdumpwiz.demo.simulate import prepare_demo, simulate_reboot
from kdumpwiz.engine.answers import load_answers_text
from kdumpwiz.engine.apply import apply_plan
from kdumpwiz.engine.detect import detect
from kdumpwiz.engine.plan import build_plan
from kdumpwiz.screens.apply import ApplyScreen
from kdumpwiz.screens.memory import MemoryScreen
from kdumpwiz.screens.reboot import RebootScreen
from kdumpwiz.screens.review import ReviewScreen
from kdumpwiz.screens.system import SystemScreen
from kdumpwiz.screens.target import TargetScreen
from kdumpwiz.screens.verify import VerifyScreen
from kdumpwiz.state import WizardState
from tests.conftest import tree_hash

SIZE = (80, 24)


def make_app(host, demo=False, answers=None) -> KdumpwizApp:
    state = WizardState(host=host, facts=detect(host), demo=demo)
    if answers is not None:
        state.answers = answers
    return KdumpwizApp(state)


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def press(pilot, *keys: str) -> None:
    """Press the keys, then let workers and redraws finish."""
    await pilot.press(*keys)
    await settle(pilot)


async def type_crashkernel(pilot, text: str) -> str:
    """On the Memory step: clear the field, type ``text`` key by key, return the live check's text."""
    inp = pilot.app.screen.query_one("#crashkernel")
    inp.value = ""
    inp.focus()
    await press(pilot, *text)
    return str(pilot.app.screen.query_one("#check").render())


def text_of(app) -> str:
    """All plain text currently on screen (Static/Label contents)."""
    from textual.widgets import Static

    return "\n".join(str(w.render()) for w in app.screen.query(Static))


async def test_demo_from_start_to_verified_with_test_crash(tmp_path):
    host = prepare_demo(str(tmp_path / "demo"))
    app = make_app(host, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SystemScreen) and "DEMO" in text_of(app)
        for _ in range(3):  # System -> Packages -> Memory -> Target, with Enter only
            await press(pilot, "enter")
        assert isinstance(app.screen, TargetScreen)
        await press(pilot, "enter")
        assert isinstance(app.screen, ReviewScreen)
        review = text_of(app)
        # Ubuntu 24.04's own tiered default (512M on 16 GiB) covers the estimate: it is kept, no
        # drop-in is written, and the plan only switches kdump-tools on.
        assert "zz-kdumpwiz.cfg" not in review and "USE_KDUMP=1" in review
        assert "crashkernel=2G-4G:320M,4G-32G:512M," in review and "512 MiB" in review
        await pilot.press("enter")  # Enter alone never applies
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert "USE_KDUMP=0" in host.read_text("/etc/default/kdump-tools")
        await press(pilot, "a")
        await press(pilot, "y")  # the one-line summary: yes
        assert isinstance(app.screen, ApplyScreen) and app.screen.done
        assert "USE_KDUMP=1" in host.read_text("/etc/default/kdump-tools")
        assert not host.exists("/etc/default/grub.d/zz-kdumpwiz.cfg")
        await press(pilot, "enter")
        assert isinstance(app.screen, RebootScreen) and "reboot" in text_of(app).lower()
        await press(pilot, "r")
        await press(pilot, "y")
        assert isinstance(app.screen, VerifyScreen)
        assert app.state.verification.armed, text_of(app)
        assert "kdump is ARMED" in text_of(app)
        await press(pilot, "t")
        await press(pilot, *"wrong-host", "enter")
        assert isinstance(app.screen, VerifyScreen)
        assert not host.path("/proc/sysrq-trigger").exists()
        await press(pilot, "t")
        await press(pilot, *"demo-server", "enter")
        checks = {c.name: c for c in app.state.verification.checks}
        assert checks["test-crash"].ok, checks["test-crash"].detail
        assert "new dump" in text_of(app)
        shown = text_of(app)  # the captured dump itself: where, the panic line, the command that opens it
        assert "The captured dump" in shown and "Panic:   Kernel panic - not syncing: sysrq triggered crash" in shown
        assert "Open it: crash /usr/lib/debug/boot/vmlinux-" in shown


async def test_back_and_next_keep_the_answers(make_system):
    host = make_system("fedora41-x86_64")
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        await press(pilot, "n")
        assert isinstance(app.screen, MemoryScreen)
        inp = app.screen.query_one("#crashkernel")
        inp.value = "384M"
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, TargetScreen)
        assert app.state.answers.crashkernel == "384M"
        await press(pilot, "ctrl+p")
        assert isinstance(app.screen, MemoryScreen)
        assert app.screen.query_one("#crashkernel").value == "384M"


@pytest.mark.parametrize("value, reason", [
    ("16G", "rejected silently"),
    ("0512M", "not written by kdumpwiz"),
    ("7G", "too little memory"),
    ("1T-:512M", "zero bytes"),
])
async def test_invalid_custom_size_is_refused_with_the_kernels_reason(make_system, value, reason):
    host = make_system("fedora41-x86_64")
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n")
        check = await type_crashkernel(pilot, value)
        assert check.startswith("Not accepted") and reason in check
        await press(pilot, "enter")
        assert isinstance(app.screen, MemoryScreen)
        assert app.state.answers.crashkernel == "auto"


async def test_blocker_stops_at_system(make_system):
    host = make_system("container")
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SystemScreen)
        assert "BLOCKED" in text_of(app) and "container" in text_of(app)
        await press(pilot, "n")
        assert isinstance(app.screen, SystemScreen)
        await pilot.press("enter")  # the focused Quit button
        await settle(pilot)
    assert app.return_code == 6


async def test_failing_command_shows_failure_and_rollback_restores(make_system):
    host = make_system("ubuntu2204-amd64")
    before = tree_hash(host.root)
    host.runner.respond(["update-grub"], 1, "", "grub-mkconfig: error: syntax error in zz-kdumpwiz.cfg\n")
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(4):
            await press(pilot, "ctrl+n")
        assert isinstance(app.screen, ReviewScreen)
        await press(pilot, "a")
        await press(pilot, "y")  # the one-line summary: yes
        assert isinstance(app.screen, ApplyScreen)
        status = str(app.screen.query_one("#status").render())
        assert status.startswith("FAILED") and "update-grub" in status and "syntax error" in status
        assert "roll back" in status
        host.runner.responses.clear()
        await press(pilot, "r")
        assert "Rolled back" in str(app.screen.query_one("#status").render())
    assert tree_hash(host.root) == before


async def test_answers_prefill_every_step(make_system):
    host = make_system("rhel9-x86_64")
    answers = load_answers_text("crashkernel: 384M\ntarget: {type: nfs, host: 'nfs.example.com:/exports', path: /crash}\n"
                                "dump_level: 17\n")
    app = make_app(host, answers=answers)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n")
        assert app.screen.query_one("#crashkernel").value == "384M"
        await press(pilot, "ctrl+n")
        screen = app.screen
        assert isinstance(screen, TargetScreen)
        assert screen.query_one("#path").value == "/crash"
        assert screen.query_one("#host").value == "nfs.example.com:/exports"
        assert screen.query_one("#dump-level").value == "17"
        assert screen.query_one("#host").display is True and screen.query_one("#key").display is False
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, ReviewScreen)
        assert "nfs nfs.example.com:/exports" in text_of(app)


async def test_resume_after_reboot_opens_at_verify(make_system):
    host = make_system("debian12-amd64")
    plan = build_plan(host, detect(host), load_answers_text("crashkernel: 256M\n"))
    apply_plan(host, plan)
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:  # applied, not rebooted yet
        await settle(pilot)
        assert isinstance(app.screen, RebootScreen)
    simulate_reboot(host)
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, VerifyScreen)
        assert app.state.verification.armed


@pytest.mark.parametrize("env, ascii_mode, theme", [
    ({"TERM": "linux"}, True, "ansi-dark"),
    ({"TERM": "vt100"}, True, "ansi-dark"),
    ({"TERM": "xterm"}, False, "ansi-dark"),
    ({"TERM": "screen"}, False, "ansi-dark"),
    ({"TERM": "xterm-256color"}, False, "textual-dark"),
    ({"TERM": "xterm", "COLORTERM": "truecolor"}, False, "textual-dark"),
])
def test_display_settings_follow_the_terminal(env, ascii_mode, theme):
    got = display_settings(env)
    assert got["ascii"] is ascii_mode and got["theme"] == theme


def test_ssh_lowers_the_frame_rate():
    assert display_settings({"TERM": "xterm-256color", "SSH_CONNECTION": "10.0.0.1 5 10.0.0.2 22"})["fps"] == "5"
    assert display_settings({"TERM": "xterm-256color"})["fps"] != "5"


def _visible_chars(svg: str) -> str:
    import html
    import re

    texts = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    return html.unescape("".join(re.sub(r"<[^>]+>", "", t) for t in texts)).replace("\xa0", " ")


@pytest.mark.parametrize("steps", [0, 1, 2, 3, 4])
async def test_ascii_mode_writes_only_ascii(tmp_path, steps):
    host = prepare_demo(str(tmp_path / "demo"))
    state = WizardState(host=host, facts=detect(host), demo=True, ascii=True)
    app = KdumpwizApp(state, theme="ansi-dark")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(steps):
            await press(pilot, "ctrl+n")
        chars = _visible_chars(app.export_screenshot())
        bad = sorted({c for c in chars if ord(c) > 126})
        assert not bad, bad


def _interrupted_apply(host):
    """An apply stopped right after its first file was written (SIGINT as the link drops)."""
    from kdumpwiz.engine.answers import Answers

    plan = build_plan(host, detect(host), Answers(crashkernel="512M"))
    before = tree_hash(host.root)

    def stop(kind, text):
        if kind == "file":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        apply_plan(host, plan, on_event=stop)
    from kdumpwiz.engine.apply import interrupted

    assert interrupted(host) is not None and tree_hash(host.root) != before
    return plan, before


@pytest.mark.parametrize("key", ["r", "f"])
async def test_next_run_after_an_interrupted_apply_offers_finish_and_rollback(make_system, key):
    """The wizard opens at System, says an apply did not finish, allows nothing new until it is settled;
    r restores the tree byte for byte, f completes the apply and goes on to the reboot."""
    from kdumpwiz.engine.apply import interrupted

    host = make_system("debian12-amd64")
    plan, before = _interrupted_apply(host)
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SystemScreen)
        assert "An earlier apply did not finish" in text_of(app) and "Press f to finish" in text_of(app)
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, SystemScreen), "Next must wait until the interrupted apply is settled"
        await press(pilot, key)
        assert interrupted(host) is None
        if key == "r":
            assert tree_hash(host.root) == before
            assert isinstance(app.screen, SystemScreen) and "did not finish" not in text_of(app)
            await press(pilot, "ctrl+n")
            assert not isinstance(app.screen, SystemScreen)
        else:
            for change in plan.files:
                assert host.read_text(change.path) == change.new
            assert isinstance(app.screen, RebootScreen)


async def test_chosen_dump_target_is_marked_without_colour(make_system):
    """Only the chosen radio button carries a mark: a monochrome console (or NO_COLOR) can tell them apart."""
    from kdumpwiz.widgets.choice import MarkedRadioButton

    host = make_system("debian12-amd64")
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(3):
            await press(pilot, "ctrl+n")
        assert isinstance(app.screen, TargetScreen)

        def marks():
            return {b.id: b._button.plain.strip("▐▌() ") for b in app.screen.query(MarkedRadioButton)}

        assert marks()["type-local"] and not any(v for k, v in marks().items() if k != "type-local")
        app.screen.query_one("#type-ssh", MarkedRadioButton).value = True
        await pilot.pause()
        assert marks()["type-ssh"] and not marks()["type-local"]


def _without_kdump_tools(host):
    """Mark kdump-tools as not installed in dpkg's status file; returns a function that installs it back."""
    import re as _re

    path = host.path("/var/lib/dpkg/status")
    text = path.read_text()
    stanza = _re.search(r"(?ms)^Package: kdump-tools\n.*?(?:\n\n|\Z)", text).group(0)
    path.write_text(text.replace(stanza, ""))

    def install(argv):
        path.write_text(path.read_text().rstrip("\n") + "\n\n" + stanza)

    return install


async def test_packages_step_installs_the_missing_package(make_system):
    """Next is refused while kdump-tools is missing; i runs exactly the shown command, then Next works."""
    from kdumpwiz.screens.packages import PackagesScreen

    host = make_system("debian12-amd64")
    host.runner.effects[("apt-get", "install")] = _without_kdump_tools(host)
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, PackagesScreen)
        assert "apt-get install --yes kdump-tools" in text_of(app)
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, PackagesScreen), "Next with a missing package"
        await press(pilot, "i")
        assert ("apt-get", "install", "--yes", "kdump-tools") in host.runner.logical_calls
        assert not app.state.facts.packages.missing
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, MemoryScreen)


async def test_packages_install_can_be_cancelled(make_system):
    """c stops a running install: the runner gets the cancel, the log says how to recover, nothing is missing-fixed."""
    import threading

    from kdumpwiz.engine.host import CommandResult, RecordingRunner
    from kdumpwiz.screens.packages import PackagesScreen

    started = threading.Event()

    class SlowInstall(RecordingRunner):
        def run(self, argv, *, timeout=None, env=None, on_output=None, cancel=None):
            if "apt-get" in argv:
                started.set()
                assert cancel is not None and cancel.wait(20), "the install was never cancelled"
                return CommandResult(tuple(argv), 130, "", "", cancelled=True)
            return super().run(argv, timeout=timeout, env=env, on_output=on_output)

    host = make_system("debian12-amd64")
    _without_kdump_tools(host)
    host.runner = SlowInstall(responses=host.runner.responses, effects=host.runner.effects)
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, PackagesScreen)
        await pilot.press("i")
        for _ in range(50):
            if started.is_set():
                break
            await pilot.pause(0.05)
        assert started.is_set()
        await press(pilot, "c")
        log = "\n".join(app.screen.query_one("#install-log").lines)
        assert "cancelled" in log and "dpkg --configure -a" in log
        assert app.state.facts.packages.missing == ("kdump-tools",)


async def test_reboot_step_on_a_tree_that_is_not_the_running_system(make_system):
    """With --root the wizard never offers 'Reboot now' (systemctl reboot through chroot could reach the host):
    it says to boot that system and verify there."""
    host = make_system("debian12-amd64")
    apply_plan(host, build_plan(host, detect(host), load_answers_text("crashkernel: 256M\n")))
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, RebootScreen)
        assert "Boot it to take effect" in text_of(app) and "kdumpwiz verify" in text_of(app)
        assert not app.screen.query("#reboot")
        calls = len(host.runner.calls)
        await press(pilot, "r")
        assert len(host.runner.calls) == calls and not app.screen.query("#dialog")


async def test_skip_commands_writes_files_only_and_says_what_is_left(make_system):
    """--skip-commands (images, chroots): the apply runs no command, and Apply and Reboot name the ones left."""
    host = make_system("debian12-amd64")
    state = WizardState(host=host, facts=detect(host), answers=load_answers_text("crashkernel: 256M\n"),
                        skip_commands=True)
    app = KdumpwizApp(state)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+n", "ctrl+n", "ctrl+n", "ctrl+n")
        assert isinstance(app.screen, ReviewScreen)
        await press(pilot, "a")
        await press(pilot, "y")  # the one-line summary: yes
        assert isinstance(app.screen, ApplyScreen)
        assert "NOT run" in text_of(app) and "update-grub" in text_of(app)
        assert not any("update-grub" in c for c in host.runner.logical_calls)
        assert "crashkernel=256M" in host.read_text("/etc/default/grub.d/zz-kdumpwiz.cfg")
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, RebootScreen)
        assert "Not run (--skip-commands)" in text_of(app) and "update-grub" in text_of(app)


async def test_memory_step_keeps_suses_calibrated_pair(make_system):
    """Tumbleweed with kdump's settled 72M,low + 256M,high: the Memory step shows both and Enter keeps 'auto'."""
    host = make_system("tumbleweed-x86_64")
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        await press(pilot, "n")
        assert isinstance(app.screen, MemoryScreen)
        shown = text_of(app)
        assert "crashkernel=72M,low crashkernel=256M,high" in shown and "72 MiB low" in shown
        await press(pilot, "enter")
        assert isinstance(app.screen, TargetScreen)
        assert app.state.answers.crashkernel == "auto"


async def test_packages_step_runs_nothing_with_skip_commands(make_system):
    """--skip-commands reaches the Packages step: i runs no apt-get through chroot, the screen says what to do."""
    from kdumpwiz.screens.packages import PackagesScreen

    host = make_system("debian12-amd64")
    _without_kdump_tools(host)
    app = make_app(host)
    app.state.skip_commands = True
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, PackagesScreen)
        shown = text_of(app)
        assert "--skip-commands" in shown and f"chroot {host.root} apt-get install --yes kdump-tools" in shown
        await press(pilot, "i")
        assert host.runner.logical_calls == [] and host.runner.calls == []
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, PackagesScreen)


async def test_too_small_to_load_is_refused_unless_forced(tmp_path):
    """64M cannot even hold Debian 12's kernel (init_size 63.6 MiB) and initrd: refused; ticking the box forces it."""
    from pathlib import Path

    from kdumpwiz.engine.host import Host
    from textual.widgets import Checkbox
    from tests.fixtures.measured import build_measured, measured_rows

    row = next(r for r in measured_rows() if r["suite"] == "bookworm")
    host = Host(str(build_measured(Path(tmp_path) / "root", row)))
    app = make_app(host)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n")
        assert isinstance(app.screen, MemoryScreen)
        body = text_of(app)
        assert "model calibrated on measured captures" in body and "kernel init_size" in body
        assert f"{row['min_captures_mib']}M was the smallest that captured" in body
        check = await type_crashkernel(pilot, "64M")
        assert check.startswith("Not accepted") and "cannot even be loaded" in check
        box = app.screen.query_one("#force-small", Checkbox)
        assert box.display
        await press(pilot, "enter")
        assert isinstance(app.screen, MemoryScreen)
        box.value = True
        await settle(pilot)
        check = str(app.screen.query_one("#check").render())
        assert check.startswith("OK") and "(forced)" in check
        app.screen.query_one("#crashkernel").focus()
        await press(pilot, "enter")
        assert isinstance(app.screen, TargetScreen)
        assert app.state.answers.crashkernel == "64M" and app.state.answers.force_crashkernel is True
        # A value that loads hides the box again and is not forced.
    app2 = make_app(host)
    async with app2.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n")
        inp = app2.screen.query_one("#crashkernel")
        inp.value = "96M"
        await settle(pilot)
        assert not app2.screen.query_one("#force-small", Checkbox).display
        assert str(app2.screen.query_one("#check").render()).startswith("OK")


async def test_memory_field_accepts_auto(make_system):
    """'auto' means the suggestion, in the Memory field as in answers files."""
    host = make_system("fedora41-x86_64")
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n")
        assert (await type_crashkernel(pilot, "auto")).startswith("OK")
        await press(pilot, "enter")
        assert isinstance(app.screen, TargetScreen)
        assert app.state.answers.crashkernel == "auto"


async def test_dump_target_focus_starts_on_the_type(make_system):
    """Down on the Dump target step changes the type; it does not scroll the page."""
    from textual.widgets import RadioSet

    host = make_system("debian12-amd64")
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "ctrl+n")
        assert isinstance(app.screen, TargetScreen)
        assert isinstance(app.focused, RadioSet)


async def test_dump_target_type_with_down_and_enter(make_system):
    """Down + Enter picks the next type; Enter on the chosen type goes on to Review."""
    host = make_system("debian12-amd64")
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "ctrl+n")
        assert isinstance(app.screen, TargetScreen)
        await press(pilot, "down", "enter")
        assert isinstance(app.screen, TargetScreen) and app.screen._type() == "ssh"
        await press(pilot, "up", "enter")
        assert app.screen._type() == "local"
        await press(pilot, "enter")
        assert isinstance(app.screen, ReviewScreen)


async def test_apply_asks_once_with_a_summary_and_no_writes_nothing(make_system):
    from kdumpwiz.screens.review import ConfirmApply

    host = make_system("debian12-amd64")
    before = tree_hash(host.root)
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "ctrl+n", "ctrl+n")
        assert isinstance(app.screen, ReviewScreen)
        await press(pilot, "a")
        assert isinstance(app.screen, ConfirmApply)
        summary = str(app.screen.query_one("#apply-summary").render())
        assert summary.startswith("Apply to bookworm-vm: write ") and "/etc/default/grub.d/zz-kdumpwiz.cfg" in summary
        assert "update-grub" in summary and "from the next boot" in summary
        await press(pilot, "n")
        assert isinstance(app.screen, ReviewScreen)
        await press(pilot, "a", "escape")
        assert isinstance(app.screen, ReviewScreen)
    assert tree_hash(host.root) == before


async def test_dump_target_test_shows_each_check_and_its_fix(make_system):
    """Ctrl+T on the Dump target step tests the target as typed; a RHEL machine's missing directory fails."""
    host = make_system("rhel9-x86_64")
    app = make_app(host)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "ctrl+n")
        assert isinstance(app.screen, TargetScreen)
        await press(pilot, "ctrl+t")
        result = str(app.screen.query_one("#target-test").render())
        assert "[ OK ] directory" in result and "[ OK ] space" in result
        assert app.screen.query_one("#target-test").has_class("ok")
        path = app.screen.query_one("#path")
        path.value = "/srv/not-yet"
        await press(pilot, "ctrl+t")
        result = str(app.screen.query_one("#target-test").render())
        assert "[FAIL] directory" in result and "fix: mkdir -p /srv/not-yet" in result
        assert app.screen.query_one("#target-test").has_class("error")
        app.screen.query_one("#target-type").focus()
        await press(pilot, "down", "enter")  # another type: the old result does not describe it
        assert app.screen._type() == "ssh"
        assert str(app.screen.query_one("#target-test").render()).strip() == ""
        assert not (host.root / "srv/not-yet").exists()


async def test_a_fixed_error_leaves_no_stale_toast_on_the_next_step(make_system):
    """'Cannot continue' belongs to the attempt it refused: once the value is fixed, Next clears it."""
    host = make_system("debian12-amd64")
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n")
        await type_crashkernel(pilot, "16G")
        await press(pilot, "enter")
        assert isinstance(app.screen, MemoryScreen)
        assert [n.title for n in app._notifications] == ["Cannot continue"]
        await type_crashkernel(pilot, "256M")
        await press(pilot, "enter")
        assert isinstance(app.screen, TargetScreen)
        assert list(app._notifications) == []


async def test_reopened_after_an_apply_offers_change_and_rollback(make_system):
    """A run that resumes at Reboot: Change goes to Memory, Roll back (asked once) restores every file."""
    from tests.conftest import tree_hash

    host = make_system("debian12-amd64")
    before = tree_hash(host.root)
    apply_plan(host, build_plan(host, detect(host), load_answers_text("crashkernel: 256M\n")), skip_commands=True)
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, RebootScreen)
        # The apply of an earlier run skipped update-grub: the reminder survives the restart.
        assert "Not run (--skip-commands)" in text_of(app) and "update-grub" in text_of(app)
        assert app.screen.query("#change") and app.screen.query("#rollback")
        await press(pilot, "c")
        assert isinstance(app.screen, MemoryScreen)
        await press(pilot, "ctrl+p")
        assert isinstance(app.screen, RebootScreen)
        await press(pilot, "u")
        await press(pilot, "n")  # the question: no -> nothing happens
        assert tree_hash(host.root) != before
        await press(pilot, "u")
        await press(pilot, "y")
        assert "Rolled back" in str(app.screen.query_one("#rollback-status").render())
        assert tree_hash(host.root) == before
        assert app.screen.query_one("#rollback").disabled


async def test_quit_asks_only_when_choices_would_be_lost(make_system):
    """q, Ctrl+Q and Ctrl+C quit at once when nothing was chosen; after a choice they ask first
    (Cancel keeps the wizard), and Ctrl+C works inside a text field too."""
    host = make_system("debian12-amd64")
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "enter", "enter")  # System -> Packages -> Memory
        assert isinstance(app.screen, MemoryScreen)
        await type_crashkernel(pilot, "320M")
        await press(pilot, "enter")  # Memory -> Target: the choice is now in the state
        assert isinstance(app.screen, TargetScreen) and app.state.answers.crashkernel == "320M"
        app.screen.query_one("#path").focus()  # a text field: Textual would take Ctrl+C as "copy"
        await press(pilot, "ctrl+c")
        assert app.is_running and "choices will be lost" in text_of(app)
        await press(pilot, "n")
        assert app.is_running and isinstance(app.screen, TargetScreen)
        for expected in ("MemoryScreen", "PackagesScreen", "SystemScreen"):  # back to System, where q is a key
            await press(pilot, "ctrl+p")
            assert type(app.screen).__name__ == expected
        await press(pilot, "q")
        assert "choices will be lost" in text_of(app)
        await press(pilot, "y")
    assert not app.is_running


@pytest.mark.parametrize("key", ["q", "ctrl+q", "ctrl+c"])
async def test_quit_without_choices_is_immediate(make_system, key):
    app = make_app(make_system("debian12-amd64"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, key)
    assert not app.is_running


@pytest.mark.parametrize("name", ["debian12-amd64", "rhel9-x86_64"])
async def test_next_pushes_one_step_and_back_returns_through_each(make_system, name):
    """Enter on a focused Next button once pushed the next step twice (a subclass's button handler
    called the base class's, which Textual calls anyway): every step appears once on the stack."""
    app = make_app(make_system(name))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "enter")  # System's Next button has the focus
        await press(pilot, "ctrl+n", "ctrl+n")  # Packages -> Memory -> Target
        assert isinstance(app.screen, TargetScreen)
        app.screen.query_one("#next").focus()
        await press(pilot, "enter")
        names = [type(s).__name__ for s in app.screen_stack[1:]]
        assert names == ["SystemScreen", "PackagesScreen", "MemoryScreen", "TargetScreen", "ReviewScreen"], names


async def test_demo_marker_stays_in_a_40x12_terminal(tmp_path):
    """At 40x12 the header drops the host name, never the [DEMO] marker."""
    from textual.widgets import Static

    host = prepare_demo(str(tmp_path / "demo"))
    app = make_app(host, demo=True)
    async with app.run_test(size=(40, 12)) as pilot:
        await settle(pilot)
        for _ in range(3):
            header = str(app.screen.query_one("#step-header", Static).render())
            assert "[DEMO]" in header and len(header) <= 40, header
            await press(pilot, "ctrl+n")
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        header = str(app.screen.query_one("#step-header", Static).render())
        assert header.startswith("kdumpwiz  ") and header.endswith("[DEMO]") and "demo-server" in header, header


async def test_dump_level_as_named_page_kinds(make_system):
    """The page kinds and the number are one setting: clearing 'user process pages' makes 31 into 23,
    typing 17 ticks exactly zero and free pages, and Next stores the number."""
    from textual.widgets import Checkbox, Input

    app = make_app(make_system("debian12-amd64"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "ctrl+n")
        screen = app.screen
        assert isinstance(screen, TargetScreen)
        kinds = {c.id: c for c in screen.query(Checkbox)}
        assert sorted(kinds) == ["kind-cache", "kind-free", "kind-private", "kind-user", "kind-zero"]
        assert all(c.value for c in kinds.values()) and screen.query_one("#dump-level", Input).value == "31"
        kinds["kind-user"].value = False
        await settle(pilot)
        assert screen.query_one("#dump-level", Input).value == "23"
        level = screen.query_one("#dump-level", Input)
        level.value = ""
        level.focus()
        await press(pilot, "1", "7")
        assert {k for k, c in kinds.items() if c.value} == {"kind-zero", "kind-free"}
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, ReviewScreen) and app.state.answers.dump_level == 17


async def test_keep_dumps_and_failure_action_on_the_target_step(make_system):
    """Typed on the Dump target step, checked by the family, stored on Next; a shell is refused on Debian."""
    from textual.widgets import Input

    app = make_app(make_system("debian12-amd64"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "ctrl+n")
        screen = app.screen
        screen.query_one("#keep-dumps", Input).value = "3"
        screen.query_one("#failure-action", Input).value = "shell"
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, TargetScreen) and app.state.answers.failure_action == "default"
        screen.query_one("#failure-action", Input).value = "poweroff"
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, ReviewScreen)
        assert (app.state.answers.keep_dumps, app.state.answers.failure_action) == (3, "poweroff")
        diff = next(c.diff for c in app.state.plan.files if c.path == "/etc/default/kdump-tools")
        assert '+KDUMP_NUM_DUMPS="3"' in diff and '+KDUMP_FAIL_CMD="poweroff -f"' in diff


async def test_step_list_beside_the_content_from_100_columns_and_in_the_header_below(tmp_path):
    """All eight steps, done / current / to do: a list beside the content at 120 columns, an ASCII
    progress in the header at 80; both follow the step."""
    from textual.widgets import Static

    app = make_app(prepare_demo(str(tmp_path / "demo")), demo=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+n", "ctrl+n")  # System -> Packages -> Memory
        steps = app.screen.query_one("#step-list", Static)
        assert steps.display
        lines = str(steps.render()).splitlines()
        assert lines == ["[x] 1 System", "[x] 2 Packages", "[>] 3 Memory", "[ ] 4 Dump target", "[ ] 5 Review",
                         "[ ] 6 Apply", "[ ] 7 Reboot", "[ ] 8 Verify"]
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        header = str(app.screen.query_one("#step-header", Static).render())
        assert not app.screen.query_one("#step-list", Static).display
        assert header.startswith("kdumpwiz [==>.....] 3/8 Memory") and header.endswith("[DEMO]"), header


# -- the start: first frame first, detection in a worker ------------------------------------


async def until(pilot, condition, seconds: float = 20.0) -> None:
    """Let the app run until ``condition()`` holds (a worker's message, then a screen switch), or fail."""
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the app never got there"
        await pilot.pause(0.05)


async def test_the_first_frame_is_drawn_before_the_machine_is_detected(make_system):
    """'kdumpwiz' draws a starting screen (with the DEMO marker) and only then, in a worker,
    detects the machine; the first step replaces it with the detected state."""
    from kdumpwiz.screens.starting import StartingScreen

    host = make_system("debian12-amd64")
    seen = {}

    def start() -> WizardState:
        seen["screen"] = type(app.screen).__name__
        seen["header"] = str(app.screen.query_one("#step-header").render())
        seen["thread"] = __import__("threading").current_thread().name
        return WizardState(host=host, facts=detect(host), demo=True)

    app = KdumpwizApp(start=start, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SystemScreen))
        assert seen["screen"] == StartingScreen.__name__ and "[DEMO]" in seen["header"]
        assert seen["thread"] != "MainThread"
        assert isinstance(app.screen, SystemScreen) and app.state.facts.hostname == "bookworm-vm"
        await press(pilot, "ctrl+q")  # nothing chosen yet: quits without asking
    assert app.return_code in (0, None)


async def test_an_error_while_starting_ends_the_wizard_with_it():
    from kdumpwiz.engine.errors import AnswersError

    def start() -> WizardState:
        raise AnswersError("answers.yaml line 3: duplicate key 'target'")

    app = KdumpwizApp(start=start)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.start_error is not None)
    assert app.return_code == AnswersError.exit_code
    assert isinstance(app.start_error, AnswersError) and "line 3" in app.start_error.message


async def test_quitting_while_the_machine_is_detected_asks_nothing(make_system):
    import threading

    release = threading.Event()
    host = make_system("debian12-amd64")

    def start() -> WizardState:
        release.wait(10)
        return WizardState(host=host, facts=detect(host))

    app = KdumpwizApp(start=start)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+c")
        await pilot.pause()
        release.set()
    assert app.return_code in (0, None) and app.start_error is None


async def test_reopened_after_an_apply_offers_disable(make_system):
    """Disable on Reboot: a dialog says what it will do (the files, the command, what stays reserved);
    Cancel changes nothing; Disable restores every file and stops the service."""
    from tests.conftest import tree_hash

    host = make_system("debian12-amd64")
    before = tree_hash(host.root)
    apply_plan(host, build_plan(host, detect(host), load_answers_text("crashkernel: 256M\n")))
    app = make_app(host)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, RebootScreen) and app.screen.query("#disable")
        after_apply = tree_hash(host.root)
        await press(pilot, "d")
        question = text_of(app)
        assert "Disable kdump? 1 apply(s) rolled back" in question and "zz-kdumpwiz.cfg" in question
        assert "systemctl disable --now kdump-tools.service" in question and "stay reserved" in question
        await press(pilot, "n")
        assert tree_hash(host.root) == after_apply
        await press(pilot, "d")
        await press(pilot, "y")
        status = str(app.screen.query_one("#rollback-status").render())
        assert "kdump is disabled" in status, status
        assert app.screen.query_one("#disable").disabled and app.screen.query_one("#rollback").disabled
    now = tree_hash(host.root)
    keep = lambda t: {p: v for p, v in t.items() if ".wants/" not in p and not p.startswith("sys/")}  # noqa: E731
    assert keep(now) == keep(before) and now != before
    assert ("systemctl", "disable", "--now", "kdump-tools.service") in [c[2:] for c in host.runner.calls]


async def test_a_bug_while_starting_ends_the_wizard_too():
    """Not only kdumpwiz's own errors: anything the start raises ends the app (the command line then
    shows its traceback), instead of leaving the admin on 'detecting this machine' for ever."""

    def start() -> WizardState:
        raise ValueError("a bug in detection")

    app = KdumpwizApp(start=start)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.start_error is not None)
    assert isinstance(app.start_error, ValueError) and app.return_code == 1
