"""Every step of the wizard, as the admin sees it, at 80x24 and 120x40 (and ASCII variants).

Each test drives the app to one step with the keys an admin would press, then
compares the screen with its SVG baseline in __snapshots__/test_snapshots/.
"""

from __future__ import annotations

import pytest

from kdumpwiz.demo.simulate import simulate_reboot
from kdumpwiz.engine.answers import Answers
from kdumpwiz.engine.apply import apply_plan
from kdumpwiz.engine.detect import detect
from kdumpwiz.engine.plan import build_plan

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def steps(n: int):
    """A run_before that presses Next n times, letting workers finish after each."""

    async def run_before(pilot) -> None:
        await pilot.app.workers.wait_for_complete()  # a step may start with a worker (Verify does)
        await pilot.pause()
        await pilot.pause()
        for _ in range(n):
            await pilot.press("ctrl+n")
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()

    return run_before


def to_apply(pilot_keys_after_review=("a", "y")):
    async def run_before(pilot) -> None:
        await steps(4)(pilot)
        for key in pilot_keys_after_review:
            await pilot.press(key)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.pause()

    return run_before


def applied_and_rebooted(host) -> None:
    apply_plan(host, build_plan(host, detect(host), Answers()))
    simulate_reboot(host)


class TestSteps:
    """The demo machine, step by step."""

    @pytest.mark.parametrize("size", SIZES)
    def test_1_system(self, snap_compare, wizard, size):
        """Detected facts, DEMO marker in the header."""
        assert snap_compare(wizard("demo"), terminal_size=size, run_before=steps(0))

    @pytest.mark.parametrize("size", SIZES)
    def test_2_packages(self, snap_compare, wizard, size):
        """All kdump packages installed."""
        assert snap_compare(wizard("demo"), terminal_size=size, run_before=steps(1))

    @pytest.mark.parametrize("size", SIZES)
    def test_3_memory(self, snap_compare, wizard, size):
        """Suggested value, live check, RAM bar, reasons."""
        assert snap_compare(wizard("demo"), terminal_size=size, run_before=steps(2))

    @pytest.mark.parametrize("size", SIZES)
    def test_4_target(self, snap_compare, wizard, size):
        """Local target with free space, format defaults."""
        assert snap_compare(wizard("demo"), terminal_size=size, run_before=steps(3))

    @pytest.mark.parametrize("size", SIZES)
    def test_5_review(self, snap_compare, wizard, size):
        """The drop-in and kdump-tools diffs, commands, notes; 'a' to apply."""
        assert snap_compare(wizard("demo"), terminal_size=size, run_before=steps(4))

    @pytest.mark.parametrize("size", SIZES)
    def test_5_review_confirm(self, snap_compare, wizard, size):
        """'a' on Review: one line of what will change, Cancel focused."""
        assert snap_compare(wizard("demo"), terminal_size=size, run_before=to_apply(("a",)))

    @pytest.mark.parametrize("size", SIZES)
    def test_6_apply(self, snap_compare, wizard, size):
        """Apply finished: files written, update-grub recorded."""
        assert snap_compare(wizard("demo"), terminal_size=size, run_before=to_apply())

    @pytest.mark.parametrize("size", SIZES)
    def test_7_reboot(self, snap_compare, wizard, size):
        """Reboot needed, with Later as the default."""
        assert snap_compare(wizard("demo"), terminal_size=size, run_before=to_apply(("a", "y", "ctrl+n")))

    def test_7_reboot_confirm(self, snap_compare, wizard):
        """'r' on Reboot: the question with Cancel and Reboot side by side, Cancel focused."""
        assert snap_compare(wizard("demo"), terminal_size=(80, 24), run_before=to_apply(("a", "y", "ctrl+n", "r")))

    def test_7_reboot_disable_confirm(self, snap_compare, wizard):
        """'d' on Reboot: what disabling does (the files, the command, what stays reserved), Cancel focused."""
        assert snap_compare(wizard("demo"), terminal_size=(80, 24), run_before=to_apply(("a", "y", "ctrl+n", "d")))

    @pytest.mark.parametrize("size", SIZES)
    def test_8_verify(self, snap_compare, wizard, size):
        """After the (simulated) reboot: every check OK, kdump armed."""
        assert snap_compare(wizard("demo", prepare=applied_and_rebooted), terminal_size=size, run_before=steps(0))


class TestFailures:
    """What goes wrong is shown, with the way out."""

    @pytest.mark.parametrize("size", SIZES)
    def test_blocker(self, snap_compare, wizard, size):
        """A container: blocked at System with the reason and what to do."""
        assert snap_compare(wizard("container"), terminal_size=size, run_before=steps(0))

    @pytest.mark.parametrize("size", SIZES)
    def test_apply_failure(self, snap_compare, wizard, size):
        """update-grub fails: what was written, and rollback on r."""

        def failing(host) -> None:
            host.runner.respond(["update-grub"], 1, "", "/usr/sbin/grub-mkconfig: 3: syntax error\n")

        assert snap_compare(wizard("ubuntu2204-amd64", prepare=failing), terminal_size=size, run_before=to_apply())

    def test_interrupted_apply(self, snap_compare, wizard):
        """The next run after a dropped link: System says which apply did not finish; f finishes, r rolls back."""

        def interrupted(host) -> None:
            def stop(kind, text):
                if kind == "file":
                    raise KeyboardInterrupt

            try:
                apply_plan(host, build_plan(host, detect(host), Answers(crashkernel="512M")), on_event=stop)
            except KeyboardInterrupt:
                pass

        assert snap_compare(wizard("debian12-amd64", prepare=interrupted), terminal_size=(80, 24),
                            run_before=steps(0))

    def test_memory_refused_value(self, snap_compare, wizard):
        """A value the kernel rejects, with its reason."""

        async def run_before(pilot) -> None:
            await steps(2)(pilot)
            pilot.app.screen.query_one("#crashkernel").value = "2G-4G:320M,4G-:512M"
            await pilot.pause()

        assert snap_compare(wizard("ubuntu2404-cloud"), terminal_size=(80, 24), run_before=run_before)


class TestAscii:
    """TERM=linux / --ascii: every character is ASCII."""

    def test_memory(self, snap_compare, wizard):
        """Memory step in ASCII."""
        assert snap_compare(wizard("demo", ascii=True), terminal_size=(80, 24), run_before=steps(2))

    def test_review(self, snap_compare, wizard):
        """Review step in ASCII."""
        assert snap_compare(wizard("demo", ascii=True), terminal_size=(80, 24), run_before=steps(4))

    def test_verify(self, snap_compare, wizard):
        """Verify step in ASCII."""
        assert snap_compare(wizard("demo", ascii=True, prepare=applied_and_rebooted), terminal_size=(80, 24),
                            run_before=steps(0))
