"""The real command runner: argv only, output streamed, and commands that can be stopped.

These run small real processes (python3, sleep). A timeout or a cancel must
stop the whole process group: a grandchild holding the output pipe (apt's dpkg,
dracut's helpers) would otherwise keep the run from ever returning.
"""

from __future__ import annotations

import sys
import threading

from kdumpwiz.engine.host import SubprocessRunner

#: A parent that starts a grandchild which would hold stdout for 60 s.
TREE = [sys.executable, "-c",
        "import subprocess, sys; print('started', flush=True); subprocess.run(['sleep', '60'])"]


def _run_in_thread(**kwargs):
    out = {}
    lines = []

    def target():
        out["result"] = SubprocessRunner().run(TREE, on_output=lines.append, **kwargs)

    t = threading.Thread(target=target, daemon=True)
    t.start()
    return t, out, lines


def test_output_is_streamed_and_exit_status_kept():
    lines = []
    res = SubprocessRunner().run([sys.executable, "-c", "print('a'); print('b'); raise SystemExit(3)"],
                                 on_output=lines.append)
    assert lines == ["a", "b"] and res.returncode == 3 and not res.ok and not res.cancelled


def test_cancel_stops_the_whole_process_tree():
    cancel = threading.Event()
    t, out, lines = _run_in_thread(cancel=cancel)
    for _ in range(100):
        if lines:
            break
        threading.Event().wait(0.1)
    assert lines == ["started"]
    cancel.set()
    t.join(30)  # a bound on a hang, not a speed claim: without the group kill this waits for sleep 60
    assert not t.is_alive(), "the run did not return after cancel"
    res = out["result"]
    assert res.cancelled and not res.ok and res.returncode == 130


def test_timeout_stops_the_whole_process_tree():
    t, out, _ = _run_in_thread(timeout=1)
    t.join(30)
    assert not t.is_alive(), "the run did not return after its timeout"
    assert out["result"].timed_out and out["result"].returncode == 124


def test_missing_program_is_a_result_not_an_exception():
    res = SubprocessRunner().run(["/nonexistent/kdumpwiz-tool"])
    assert res.returncode == 127 and "kdumpwiz-tool" in res.output


def test_host_refuses_a_command_line_string(tmp_path):
    """A string is a shell's command line: Host.run refuses it before anything runs (a
    str passes a per-argument check one character at a time, so it is checked whole)."""
    import pytest

    from kdumpwiz.engine.host import Host, HostError, RecordingRunner

    runner = RecordingRunner()
    host = Host(tmp_path, runner=runner)
    for command in ("kdumpctl restart", b"kdumpctl restart"):
        with pytest.raises(HostError, match="is a string, not an argv list"):
            host.run(command)  # type: ignore[arg-type]
    assert runner.calls == []
    host.run(["kdumpctl", "restart"])
    assert runner.calls == [("chroot", str(tmp_path), "kdumpctl", "restart")]
