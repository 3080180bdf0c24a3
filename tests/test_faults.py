"""Fault injection: interrupt apply, finish and rollback at every step boundary and inside file writes.

Each fault runs the real engine in a forked CHILD process on a fixture root.
Inside the child, the low-level operations the engine relies on are wrapped
(``apply.atomic_write``, ``tempfile.mkstemp``, the file handle's ``write``,
``os.write``, ``os.fsync``, ``os.rename``, ``os.unlink``, ``os.makedirs``,
``StateDir.journal`` and the command runner). Every call of a wrapper is one
numbered *event*; a census run (no fault) counts them, then one child per
(event, action) pair fires the action at exactly that event:

* ``SIGKILL`` / ``SIGHUP`` / ``SIGINT`` sent to itself (at a ``write`` event
  half of the data is written first, so the kill lands inside the write);
* ``ENOSPC`` / ``EROFS`` raised as ``OSError`` from the I/O call (again after a
  partial write for ``write`` events);
* ``crash``: an exception from the command runner.

No sleeping, no product hooks: the boundaries are the calls themselves.

After every fault the parent checks, on the tree the child left behind:

1. every managed file is byte-identical to its old or its new content (never
   partial, never missing) and has its old mode and owner;
2. a stray ``.kdumpwiz-*`` temp file exists only if the process died by a
   signal Python cannot catch (SIGKILL, SIGHUP outside the deferred section),
   and the next run removes it;
3. an exception that escaped is a KdumpwizError (a clear message), never a raw
   OSError;
4. the state says what happened: nothing changed and no record, or a record that
   is ``interrupted``/``failed`` (seen by ``interrupted()``) or ``applied``;
5. ``rollback`` restores the whole tree byte for byte, and (on a second child run
   with the same fault) ``finish`` completes it to exactly the new content and a
   rollback after that restores the tree again.

``KDUMPWIZ_FAULTS=full`` runs every action at every event on every system; the
default run covers every event with SIGKILL and a spread of the other actions
(see ``_selected``), so the suite stays fast. Counts are printed and, with
``KDUMPWIZ_REPORT=FILE``, appended to FILE as JSON lines.
"""

from __future__ import annotations

import errno
import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import stat
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

import kdumpwiz.engine.apply as apply_mod
from kdumpwiz.demo.simulate import demo_runner
from kdumpwiz.engine.answers import Answers, Target
from kdumpwiz.engine.apply import StateDir, apply_plan, finish, interrupted, list_applies, rollback
from kdumpwiz.engine.detect import detect
from kdumpwiz.engine.errors import ApplyError, KdumpwizError, LockedError
from kdumpwiz.engine.host import Host, SubprocessRunner
from kdumpwiz.engine.plan import Plan, PlannedCommand, build_plan
from tests.conftest import tree_hash
from tests.fixtures import systems

FULL = os.environ.get("KDUMPWIZ_FAULTS", "") == "full"
CTX = multiprocessing.get_context("fork")

#: One fixture per boot-configuration style: grub.d drop-in (Debian), grubenv
#: kernelopts (RHEL 8), literal BLS options (RHEL 9), /etc/default/grub + sysconfig (SUSE).
SYSTEMS = {
    "debian12-amd64": "512M",
    "rhel8-x86_64": "512M",
    "rhel9-x86_64": "512M",
    "opensuse-leap156-x86_64": "512M",
}
SIGNALS = {"SIGKILL": signal.SIGKILL, "SIGHUP": signal.SIGHUP, "SIGINT": signal.SIGINT}
IO_ERRORS = {"ENOSPC": errno.ENOSPC, "EROFS": errno.EROFS}
#: Events where an OSError from the filesystem is realistic.
IO_KINDS = {"mkstemp", "write", "os.write", "fsync", "rename", "unlink", "makedirs"}
TEMP_PREFIX = ".kdumpwiz-"

#: Totals over the session, for docs/reliability.md.
FIGURES: Dict[str, int] = {"fault_points": 0, "files_lost": 0}


# -- trees -----------------------------------------------------------------------


def digest(root: Path, *, exclude: str = "var/lib/kdumpwiz") -> Dict[str, str]:
    """Like conftest.tree_hash (path -> mode:uid:gid:sha256), but cheap on the fixtures' sparse kernel images.

    A file with no allocated blocks whose first data offset (SEEK_DATA) is past
    its end reads as zeros: its bytes are exactly described by its size, so
    this stays a byte-for-byte comparison without reading 100 MB of holes.
    """
    out: Dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir == exclude or rel_dir.startswith(exclude + "/"):
            dirnames[:] = []
            continue
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = "link:" + os.readlink(full)
                continue
            if stat.S_ISDIR(st.st_mode):
                continue
            head = f"{st.st_mode:o}:{st.st_uid}:{st.st_gid}:"
            with open(full, "rb") as fh:
                if st.st_blocks == 0 and st.st_size > 65536:
                    try:
                        os.lseek(fh.fileno(), 0, os.SEEK_DATA)
                    except OSError as exc:
                        if exc.errno == errno.ENXIO:
                            out[rel] = head + f"zeros:{st.st_size}"
                            continue
                        raise
                out[rel] = head + hashlib.sha256(fh.read()).hexdigest()
    return out


def temp_files(root: Path) -> List[str]:
    """Every kdumpwiz temp file anywhere below root (state directory included)."""
    return sorted(os.path.join(d, n) for d, _, names in os.walk(root) for n in names if n.startswith(TEMP_PREFIX))


class Fixture:
    """A fixture machine that can be rebuilt fresh for every fault, with its plan."""

    def __init__(self, name: str, base: Path) -> None:
        self.name = name
        self.base = base
        self.count = 0
        self.tweak: Optional[str] = None
        probe = self.fresh()
        host = Host(probe, demo_runner(probe))
        self.plan: Plan = build_plan(host, detect(host), Answers(crashkernel=SYSTEMS[name],
                                                                  target=Target(path="/srv/crash")))
        assert len(self.plan.files) >= 2, "the fault matrix needs a plan with several files"
        # A managed file with an unusual mode and group shows that both are kept.
        self.tweak = next(c.path for c in self.plan.files if c.old is not None)
        ref = self.fresh()
        self.before = digest(ref)
        self.meta: Dict[str, Tuple[int, int, int]] = {}
        for change in self.plan.files:
            if change.old is None:
                self.meta[change.path] = (change.mode, 0, 0)
            else:
                st = os.stat(Host(ref).path(change.path))
                self.meta[change.path] = (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)

    def fresh(self) -> Path:
        """A new copy of the machine, built from code (faster than copying its sparse images)."""
        self.count += 1
        root = self.base / f"{self.name}-{self.count}"
        root.mkdir()
        systems.build(self.name, root)
        if self.tweak is not None:
            real = Host(root).path(self.tweak)
            os.chmod(real, 0o640)
            os.chown(real, 0, 4)
        return root

    def host(self, root: Path) -> Host:
        """The host of a tree, with the recording runner (commands are simulated, never run)."""
        return Host(root, demo_runner(root))


def _scratch(tmp_path_factory: Any) -> Path:
    """A tmpfs directory when there is one: hundreds of applies fsync() a lot, and a
    process kill (unlike a power cut) does not depend on fsync, so RAM is as good as disk."""
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(prefix="kdumpwiz-faults-", dir=shm))
    return tmp_path_factory.mktemp("faults")


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory) -> Iterator[Dict[str, Fixture]]:
    base = _scratch(tmp_path_factory)
    try:
        yield {name: Fixture(name, base) for name in SYSTEMS}
    finally:
        if str(base).startswith("/dev/shm/"):
            shutil.rmtree(base, ignore_errors=True)


# -- the child -------------------------------------------------------------------


class _Injector:
    """Counts events in the child and fires the fault at event ``at``."""

    def __init__(self, at: Optional[int], action: Optional[str]) -> None:
        self.at = at
        self.action = action
        self.n = 0
        self.kinds: List[str] = []

    def event(self, kind: str, partial: Optional[Callable[[], None]] = None) -> bool:
        """One event; returns True when the fault fired here (and the process is still alive)."""
        self.n += 1
        self.kinds.append(kind)
        if self.at is None or self.n != self.at:
            return False
        if partial is not None:
            partial()
        action = self.action or ""
        if action in SIGNALS:
            os.kill(os.getpid(), SIGNALS[action])
            return True
        if action in IO_ERRORS:
            code = IO_ERRORS[action]
            raise OSError(code, os.strerror(code))
        if action == "crash":
            raise RuntimeError("injected: the command runner crashed")
        raise AssertionError(f"unknown action {action}")


def _install(inj: _Injector, host: Host) -> None:
    """Wrap the engine's I/O and the runner so each call is an event (child process only)."""
    real_atomic = apply_mod.atomic_write
    real_mkstemp = tempfile.mkstemp
    real_fdopen = os.fdopen
    real_write = os.write
    real_fsync = os.fsync
    real_rename = os.rename
    real_unlink = os.unlink
    real_makedirs = os.makedirs
    real_journal = StateDir.journal
    real_run = host.runner.run

    def atomic_write(*args: Any, **kwargs: Any) -> None:
        inj.event("atomic_write")
        return real_atomic(*args, **kwargs)

    def mkstemp(*args: Any, **kwargs: Any) -> Tuple[int, str]:
        inj.event("mkstemp")
        return real_mkstemp(*args, **kwargs)

    class Handle:
        """A file object whose write() can be cut in the middle."""

        def __init__(self, fh: Any) -> None:
            self._fh = fh

        def write(self, data: bytes) -> int:
            half = len(data) // 2
            done = []

            def partial() -> None:
                self._fh.write(data[:half])
                self._fh.flush()
                done.append(True)

            inj.event("write", partial)
            return self._fh.write(data[half:] if done else data)

        def __enter__(self) -> "Handle":
            return self

        def __exit__(self, *exc: Any) -> None:
            self._fh.close()

        def __getattr__(self, name: str) -> Any:
            return getattr(self._fh, name)

    def fdopen(*args: Any, **kwargs: Any) -> Any:
        return Handle(real_fdopen(*args, **kwargs))

    def write(fd: int, data: bytes) -> int:
        half = len(data) // 2
        done = []

        def partial() -> None:
            real_write(fd, data[:half])
            done.append(True)

        inj.event("os.write", partial)
        return real_write(fd, data[half:] if done else data) + (half if done else 0)

    def fsync(fd: int) -> None:
        inj.event("fsync")
        real_fsync(fd)

    def rename(src: Any, dst: Any) -> None:
        inj.event("rename")
        real_rename(src, dst)

    def unlink(path: Any, *args: Any, **kwargs: Any) -> None:
        inj.event("unlink")
        real_unlink(path, *args, **kwargs)

    def makedirs(*args: Any, **kwargs: Any) -> None:
        inj.event("makedirs")
        real_makedirs(*args, **kwargs)

    def journal(self: StateDir, apply_id: str, event: Dict[str, Any]) -> None:
        inj.event("journal")
        real_journal(self, apply_id, event)

    def run(*args: Any, **kwargs: Any) -> Any:
        inj.event("run")
        return real_run(*args, **kwargs)

    apply_mod.atomic_write = atomic_write  # type: ignore[assignment]
    tempfile.mkstemp = mkstemp  # type: ignore[assignment]
    os.fdopen = fdopen  # type: ignore[assignment]
    os.write = write  # type: ignore[assignment]
    os.fsync = fsync  # type: ignore[assignment]
    os.rename = rename  # type: ignore[assignment]
    os.unlink = unlink  # type: ignore[assignment]
    os.makedirs = makedirs  # type: ignore[assignment]
    StateDir.journal = journal  # type: ignore[assignment]
    host.runner.run = run  # type: ignore[assignment]


def _child(root: str, plan: Plan, op: str, at: Optional[int], action: Optional[str], report: str) -> None:
    """Run one operation with one fault; write what happened to ``report``; never return."""
    code = 0
    outcome: Dict[str, Any] = {"exception": None}
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        host = Host(root, demo_runner(root))
        inj = _Injector(at, action)
        _install(inj, host)
        try:
            if op == "apply":
                apply_plan(host, plan)
            elif op == "finish":
                finish(host)
            elif op == "rollback":
                rollback(host)
            else:
                raise AssertionError(op)
        except BaseException as exc:  # noqa: B036 - the child reports everything
            outcome["exception"] = type(exc).__name__
            outcome["kdumpwiz_error"] = isinstance(exc, KdumpwizError)
            outcome["message"] = str(exc)
            code = 3
        outcome["events"] = inj.n
        outcome["kinds"] = inj.kinds
        with open(report, "w") as fh:
            json.dump(outcome, fh)
    finally:
        os._exit(code)


def run_child(root: Path, plan: Plan, op: str, at: Optional[int] = None,
              action: Optional[str] = None) -> Dict[str, Any]:
    """Fork a child for one operation (with an optional fault) and wait for it."""
    report = str(root) + f".{op}.report.json"
    if os.path.exists(report):
        os.unlink(report)
    proc = CTX.Process(target=_child, args=(str(root), plan, op, at, action, report))
    proc.start()
    proc.join(60)
    assert proc.exitcode is not None, "child hung"
    out: Dict[str, Any] = {"exitcode": proc.exitcode, "reported": os.path.exists(report)}
    if out["reported"]:
        with open(report) as fh:
            out.update(json.load(fh))
    return out


# -- checks ------------------------------------------------------------------------


def check_files(fx: Fixture, root: Path, where: str) -> None:
    """Every managed file is entirely old or entirely new, with its old mode and owner."""
    host = Host(root)
    for change in fx.plan.files:
        real = host.path(change.path)
        old, new = change.old_bytes(), change.new_bytes()
        if not os.path.lexists(real):
            if old is not None:
                FIGURES["files_lost"] += 1
            assert old is None, f"{where}: {change.path} is MISSING"
            continue
        data = real.read_bytes()
        if data not in (old, new):
            FIGURES["files_lost"] += 1
        assert data in (old, new), f"{where}: {change.path} is neither old nor new ({len(data)} bytes)"
        st = os.stat(real)
        assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == fx.meta[change.path], \
            f"{where}: {change.path} mode/owner changed"


def check_state_visible(fx: Fixture, root: Path, where: str) -> Optional[str]:
    """The next run sees what happened. Returns the last record's status (None: no record)."""
    host = Host(root)
    records = list_applies(host)
    if not records:
        assert digest(root) == fx.before, f"{where}: files changed but no apply is recorded"
        return None
    last = records[-1]
    assert last.status in ("interrupted", "failed", "applied", "rolled_back"), f"{where}: status {last.status}"
    if last.status == "interrupted":
        assert interrupted(host) is not None and interrupted(host).id == last.id, where
        assert any(last.id in w and "--finish" in w for w in detect(host).warnings), where
    if last.status == "applied":
        for change in fx.plan.files:
            assert host.read_bytes(change.path) == change.new_bytes(), f"{where}: applied but {change.path} not new"
    return last.status


def check_outcome(out: Dict[str, Any], action: Optional[str], where: str) -> None:
    """Only signals kill the child; every exception that escapes is a clear KdumpwizError."""
    if out["exitcode"] < 0:
        assert action in SIGNALS, f"{where}: child died by signal {-out['exitcode']} without a signal fault"
        return
    assert out["reported"], f"{where}: child exited {out['exitcode']} without a report"
    exc = out["exception"]
    if exc is None:
        return
    if action == "SIGINT":
        assert exc == "KeyboardInterrupt", f"{where}: SIGINT surfaced as {exc}: {out.get('message')}"
    elif action == "crash":
        assert exc == "RuntimeError", f"{where}: {exc}"
    else:
        assert out["kdumpwiz_error"], f"{where}: {exc} escaped instead of a clear error: {out.get('message')}"


def check_temps(root: Path, out: Dict[str, Any], where: str) -> None:
    """Temp files survive only an uncatchable death (the next run sweeps them)."""
    left = temp_files(root)
    if left:
        assert out["exitcode"] < 0, f"{where}: temp files left after a clean exit: {left}"


def recover(fx: Fixture, root: Path, mode: str, where: str) -> None:
    """Finish or roll back in the parent; the tree ends byte for byte where it should."""
    host = fx.host(root)
    status = check_state_visible(fx, root, where)
    if status is None:
        # Nothing was recorded (killed while saving backups): the next run is a
        # new apply, or a rollback that finds nothing to do. Both sweep litter.
        if mode == "rollback":
            with pytest.raises(ApplyError, match="no apply to roll back"):
                rollback(host)
        else:
            apply_plan(host, fx.plan)
            rollback(host)
        assert digest(root) == fx.before, where
        assert temp_files(root) == [], f"{where}: the next run left temp files: {temp_files(root)}"
        assert not [n for n in os.listdir(host.path(apply_mod.STATE_DIR + "/applies"))
                    if not os.path.exists(host.path(f"{apply_mod.STATE_DIR}/applies/{n}/plan.json"))], where
        return
    if mode == "rollback":
        if status in ("interrupted", "failed", "applied"):
            rollback(host)
        assert digest(root) == fx.before, f"{where}: rollback did not restore the tree"
    else:
        if status in ("interrupted", "failed"):
            result = finish(host)
            assert result.status == "applied"
        if status is not None and status != "rolled_back":
            for change in fx.plan.files:
                assert host.read_bytes(change.path) == change.new_bytes(), f"{where}: finish left {change.path} old"
            assert interrupted(host) is None, f"{where}: still interrupted after finish (was {status})"
            rollback(host)
        assert digest(root) == fx.before, f"{where}: finish + rollback did not restore the tree"
    assert temp_files(root) == [], f"{where}: the next run left temp files: {temp_files(root)}"


# -- the matrix ----------------------------------------------------------------------


def _actions_for(kind: str) -> List[str]:
    acts = list(SIGNALS)
    if kind in IO_KINDS or kind == "journal":
        acts += list(IO_ERRORS)
    if kind == "run":
        acts.append("crash")
    return acts


def _selected(kinds: List[str], system_index: int) -> List[Tuple[int, str]]:
    """(event, action) pairs to try: all of them with KDUMPWIZ_FAULTS=full.

    By default every event gets SIGKILL, and the other actions rotate over the
    events (offset by the system) so that each action lands on each kind of
    event somewhere in the matrix while the suite stays fast.
    """
    out = []
    for i, kind in enumerate(kinds, 1):
        acts = _actions_for(kind)
        if FULL:
            out += [(i, a) for a in acts]
            continue
        out.append((i, "SIGKILL"))
        others = [a for a in acts if a != "SIGKILL"]
        if others:
            out.append((i, others[(i + system_index) % len(others)]))
        if kind in ("run", "rename", "write") and others:
            # The most telling boundaries get every action.
            out += [(i, a) for a in others if (i, a) not in out]
    return out


def _report(name: str, op: str, tried: int, events: int) -> None:
    FIGURES["fault_points"] += tried
    line = {"system": name, "op": op, "events": events, "faults_tried": tried, "full": FULL}
    print(json.dumps(line))
    path = os.environ.get("KDUMPWIZ_REPORT")
    if path:
        with open(path, "a") as fh:
            fh.write(json.dumps(line) + "\n")


@pytest.mark.parametrize("name", list(SYSTEMS))
def test_apply_faults(fixtures, name):
    """Interrupt apply at every event; files stay whole, the state says so, finish and rollback work."""
    fx = fixtures[name]
    census_root = fx.fresh()
    census = run_child(census_root, fx.plan, "apply")
    assert census["exception"] is None and census["exitcode"] == 0, census
    kinds = census["kinds"]
    assert {"atomic_write", "write", "fsync", "rename", "journal"} <= set(kinds)
    tried = 0
    for at, action in _selected(kinds, list(SYSTEMS).index(name)):
        where = f"{name} apply event {at} ({kinds[at - 1]}) {action}"
        # Recovery by rollback and by finish + rollback: both in the full run,
        # alternating by default (each (event, action) pair still gets one).
        modes = ("rollback", "finish") if FULL else (("rollback", "finish")[(at + len(action)) % 2],)
        for mode in modes:
            root = fx.fresh()
            out = run_child(root, fx.plan, "apply", at, action)
            check_outcome(out, action, where)
            check_files(fx, root, where)
            check_temps(root, out, where)
            recover(fx, root, mode, where + f" then {mode}")
        tried += 1
    _report(name, "apply", tried, len(kinds))
    assert tried >= len(kinds)


def _applied(fx: Fixture) -> Path:
    root = fx.fresh()
    apply_plan(fx.host(root), fx.plan)
    return root


@pytest.mark.parametrize("name", list(SYSTEMS))
def test_rollback_faults(fixtures, name):
    """Interrupt rollback at every event; each file stays whole and a second rollback completes it."""
    fx = fixtures[name]
    census = run_child(_applied(fx), fx.plan, "rollback")
    assert census["exception"] is None, census
    kinds = census["kinds"]
    tried = 0
    for at in range(1, len(kinds) + 1):
        actions = ["SIGKILL"] + (["ENOSPC"] if FULL or kinds[at - 1] in ("rename", "write") else [])
        for action in actions:
            where = f"{name} rollback event {at} ({kinds[at - 1]}) {action}"
            root = _applied(fx)
            out = run_child(root, fx.plan, "rollback", at, action)
            check_outcome(out, action, where)
            check_files(fx, root, where)
            check_temps(root, out, where)
            host = fx.host(root)
            if digest(root) != fx.before or list_applies(host)[-1].status != "rolled_back":
                # A rollback that did not complete is seen by the next run and can be repeated.
                assert list_applies(host)[-1].status in ("interrupted", "applied", "failed"), where
                rollback(host)
            assert digest(root) == fx.before, where
            assert temp_files(root) == [], where
            tried += 1
    _report(name, "rollback", tried, len(kinds))


def _interrupted_after_first_file(fx: Fixture) -> Path:
    """A tree whose apply was SIGKILLed right after its first managed file was renamed into place."""
    root = fx.fresh()
    census = run_child(fx.fresh(), fx.plan, "apply")
    kinds = census["kinds"]
    journals = [i for i, k in enumerate(kinds, 1) if k == "journal"]
    out = run_child(root, fx.plan, "apply", journals[0], "SIGKILL")
    assert out["exitcode"] == -signal.SIGKILL
    assert interrupted(Host(root)) is not None
    return root


@pytest.mark.parametrize("name", ["debian12-amd64", "rhel9-x86_64"])
def test_finish_faults(fixtures, name):
    """Interrupt ``finish`` of an interrupted apply at every event; then rollback still restores everything."""
    fx = fixtures[name]
    census = run_child(_interrupted_after_first_file(fx), fx.plan, "finish")
    assert census["exception"] is None, census
    kinds = census["kinds"]
    tried = 0
    for at in range(1, len(kinds) + 1):
        where = f"{name} finish event {at} ({kinds[at - 1]}) SIGKILL"
        root = _interrupted_after_first_file(fx)
        out = run_child(root, fx.plan, "finish", at, "SIGKILL")
        check_outcome(out, "SIGKILL", where)
        check_files(fx, root, where)
        recover(fx, root, "finish" if at % 2 else "rollback", where)
        tried += 1
    _report(name, "finish", tried, len(kinds))


def test_sigkill_leftover_temp_file_is_swept_by_next_run(fixtures):
    """A SIGKILL between mkstemp and rename leaves a temp file; it is harmless and the next run removes it."""
    fx = fixtures["debian12-amd64"]
    census = run_child(fx.fresh(), fx.plan, "apply")
    kinds = census["kinds"]
    # The rename of the first managed file (after plan.json was written and journaled nothing yet).
    renames = [i for i, k in enumerate(kinds, 1) if k == "rename"]
    root = fx.fresh()
    leftovers: List[str] = []
    for at in renames:
        root = fx.fresh()
        out = run_child(root, fx.plan, "apply", at, "SIGKILL")
        assert out["exitcode"] == -signal.SIGKILL
        leftovers = [p for p in temp_files(root) if "/var/lib/kdumpwiz/" not in p]
        if leftovers:
            break
    assert leftovers, "no SIGKILL left a temp file next to a managed file"
    for path in leftovers:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        # The temp file is mkstemp's 0600 until atomic_write gives it the mode of the file it
        # replaces (just before the fsync and rename): never more open than its target.
        directory = os.path.dirname(path)
        target_modes = set()
        for change in fx.plan.files:
            target = os.path.join(str(root), change.path.lstrip("/"))
            if os.path.dirname(target) == directory:
                # A created file gets the plan's mode; a replaced one keeps its own.
                target_modes.add(change.mode if change.created else stat.S_IMODE(os.stat(target).st_mode))
        assert target_modes, f"{path}: no managed file in its directory"
        assert mode == 0o600 or mode in target_modes, (path, oct(mode), sorted(map(oct, target_modes)))
        # No config reader picks it up: grub.d reads *.cfg, BLS *.conf, and globs skip dotfiles.
        assert os.path.basename(path).startswith(TEMP_PREFIX) and TEMP_PREFIX.startswith(".")
        assert not path.endswith((".cfg", ".conf"))
    rollback(fx.host(root))
    assert temp_files(root) == []
    assert digest(root) == fx.before


def test_digest_agrees_with_tree_hash(fixtures):
    """The sparse-aware digest sees what conftest.tree_hash sees."""
    fx = fixtures["rhel9-x86_64"]
    a, b = fx.fresh(), fx.fresh()
    assert digest(a) == digest(b)
    assert tree_hash(a) == tree_hash(b)
    with open(Host(b).path("/etc/kdump.conf"), "ab") as fh:
        fh.write(b"\n")
    assert digest(a) != digest(b) and tree_hash(a) != tree_hash(b)
    big = Host(b).path("/boot/vmlinuz-5.14.0-503.11.1.el9_5.x86_64")
    if big.exists():
        with open(big, "r+b") as fh:
            fh.seek(4096)
            fh.write(b"x")
        assert digest(a)["boot/vmlinuz-5.14.0-503.11.1.el9_5.x86_64"] != \
            digest(b)["boot/vmlinuz-5.14.0-503.11.1.el9_5.x86_64"]


# -- a command that hangs ------------------------------------------------------------


class DirectHost(Host):
    """A host whose commands run as they are, WITHOUT chroot (only harmless commands are planned)."""

    def command_argv(self, argv):  # noqa: D102
        return tuple(argv)


def test_command_hanging_past_its_timeout(fixtures):
    """The real SubprocessRunner kills a hung command at its timeout; the apply fails cleanly."""
    fx = fixtures["opensuse-leap156-x86_64"]
    root = fx.fresh()
    host = DirectHost(root, SubprocessRunner())
    plan = replace(fx.plan,
                   commands=(PlannedCommand(("sleep", "5"), "hangs", timeout=0.5,
                                             undo=PlannedCommand(("true",), "harmless")),))
    t0 = time.monotonic()
    with pytest.raises(ApplyError, match="timed out") as err:
        apply_plan(host, plan)
    assert time.monotonic() - t0 < 4, "the timeout did not stop the command"
    assert "sleep 5" in str(err.value) and "finish" in str(err.value.hint)
    check_files(fx, root, "hang")
    rec = list_applies(host)[-1]
    assert rec.status == "failed" and rec.failed_command["argv"] == ["sleep", "5"]
    # finish runs the same command again: it times out again, still cleanly.
    with pytest.raises(ApplyError, match="timed out"):
        finish(host)
    assert finish(host, skip_commands=True).status == "applied"
    rollback(host)
    assert digest(root) == fx.before


# -- two applies at once ---------------------------------------------------------------


def _holder(root: str, plan: Plan, ready: Any, release: Any) -> None:
    """Child A: apply, and stay inside the first command (holding the lock) until told."""
    try:
        host = Host(root, demo_runner(root))
        real_run = host.runner.run

        def run(*args: Any, **kwargs: Any) -> Any:
            ready.set()
            release.wait(30)
            return real_run(*args, **kwargs)

        host.runner.run = run  # type: ignore[assignment]
        apply_plan(host, plan)
    finally:
        os._exit(0)


def _second(root: str, plan: Plan, report: str) -> None:
    """Child B: try to apply while A holds the lock; report what happened."""
    out: Dict[str, Any] = {}
    try:
        try:
            apply_plan(Host(root, demo_runner(root)), plan)
            out["result"] = "applied"
        except BaseException as exc:  # noqa: B036
            out["result"] = type(exc).__name__
            out["message"] = str(exc)
            out["exit_code"] = getattr(exc, "exit_code", None)
        with open(report, "w") as fh:
            json.dump(out, fh)
    finally:
        os._exit(0)


def test_two_applies_at_once_and_stale_lock(fixtures, tmp_path):
    """A second process is refused (LockedError, exit 8, names the holder); a SIGKILLed holder does not block."""
    fx = fixtures["debian12-amd64"]
    root = fx.fresh()
    ready, release = CTX.Event(), CTX.Event()
    a = CTX.Process(target=_holder, args=(str(root), fx.plan, ready, release))
    a.start()
    try:
        assert ready.wait(30), "child A never reached its command"
        report = str(tmp_path / "b.json")
        b = CTX.Process(target=_second, args=(str(root), fx.plan, report))
        b.start()
        b.join(30)
        with open(report) as fh:
            out = json.load(fh)
        assert out["result"] == "LockedError" and out["exit_code"] == LockedError.exit_code == 8
        assert f"pid {a.pid}" in out["message"]
    finally:
        os.kill(a.pid, signal.SIGKILL)  # the lock holder dies without cleaning up
        a.join(30)
    # The kernel dropped A's flock: the next run is not blocked, it sees the interrupted apply.
    host = fx.host(root)
    assert interrupted(host) is not None
    assert finish(host).status == "applied"
    rollback(host)
    assert digest(root) == fx.before


def test_figures_so_far():
    """Not a check of its own: prints the session's figures (run after the matrix in file order)."""
    print(json.dumps(FIGURES))
    assert FIGURES["files_lost"] == 0


def test_cli_next_run_after_interruption(fixtures, capsys, tmp_path):
    """The next CLI run says what happened: plan and apply refuse (exit 7) naming --finish and rollback,
    detect warns; then 'apply --finish' completes the apply and a plan works again."""
    from kdumpwiz.cli import main

    fx = fixtures["debian12-amd64"]
    root = _interrupted_after_first_file(fx)
    half = digest(root)
    answers = tmp_path / "a.yaml"
    answers.write_text(f"crashkernel: {SYSTEMS['debian12-amd64']}\ntarget: {{type: local, path: /srv/crash}}\n")
    for cmd in (["plan"], ["apply", "--yes", "--skip-commands"]):
        code = main(["--root", str(root), *cmd, "--answers", str(answers)])
        err = capsys.readouterr().err
        assert code == 7, (cmd, err)
        assert "was interrupted" in err and "--finish" in err and "rollback" in err, err
        assert digest(root) == half, f"{cmd} changed files of an interrupted apply"
    assert main(["--root", str(root), "detect"]) == 0
    assert "was interrupted" in capsys.readouterr().out
    assert main(["--root", str(root), "apply", "--finish", "--yes", "--skip-commands"]) == 0
    capsys.readouterr()
    assert main(["--root", str(root), "plan", "--answers", str(answers)]) == 0
    assert "Nothing to change" in capsys.readouterr().out


# -- signals inside the critical section -------------------------------------------


def _signal_child(root: str, plan: Plan, op: str, sig_name: str, moment: str, report: str) -> None:
    """Run ``op``; the first time a managed file is written, send ``sig_name`` to ourselves
    just before (``before``) or just after (``after``) the write. Never returns."""
    sig = getattr(signal, sig_name)
    # The terminal's default (death), whatever the parent inherited: under nohup SIGHUP
    # arrives ignored, and an ignored signal would prove nothing about the deferral.
    signal.signal(sig, signal.SIG_DFL)
    real_atomic_write = apply_mod.atomic_write
    sent = []

    def atomic_write(real: str, data: bytes, **kwargs: Any) -> None:
        managed = "/var/lib/kdumpwiz/" not in real
        if managed and not sent and moment == "before":
            sent.append(real)
            os.kill(os.getpid(), sig)
        real_atomic_write(real, data, **kwargs)
        if managed and not sent and moment == "after":
            sent.append(real)
            os.kill(os.getpid(), sig)

    apply_mod.atomic_write = atomic_write  # type: ignore[assignment]
    code = 0
    try:
        host = Host(root, demo_runner(root))
        if op == "apply":
            apply_plan(host, plan, skip_commands=True)
        else:
            rollback(host, skip_commands=True)
    except BaseException as exc:  # noqa: B036 - reported, not raised
        with open(report, "w") as fh:
            json.dump({"exception": f"{type(exc).__name__}: {exc}"}, fh)
        code = 3
    finally:
        os._exit(code)


def _journal_events(root: Path) -> List[Dict[str, Any]]:
    (apply_dir,) = list((root / "var/lib/kdumpwiz/applies").iterdir())
    journal = apply_dir / "journal"
    # No journal yet: the process died before its first line (the defect this guards against).
    lines = journal.read_text().splitlines() if journal.exists() else []
    return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize("sig_name", ["SIGHUP", "SIGTERM"])
@pytest.mark.parametrize("moment", ["before", "after"])
def test_signal_inside_the_writes_is_held_until_they_and_their_journal_lines_are_done(fixtures, sig_name, moment):
    """A dropped SSH link (SIGHUP) or a service manager's stop (SIGTERM) arriving while the
    managed files are written: every file is written and journaled, and only then does the
    process die of the signal. With the deferral a no-op, the process dies with the first
    file written (or not) and its journal line missing, and this test fails."""
    fx = fixtures["debian12-amd64"]
    for op in ("apply", "rollback"):
        root = fx.fresh()
        if op == "rollback":
            apply_plan(fx.host(root), fx.plan, skip_commands=True)
        report = str(root) + ".signal.json"
        proc = CTX.Process(target=_signal_child, args=(str(root), fx.plan, op, sig_name, moment, report))
        proc.start()
        proc.join(60)
        where = f"{op}: {sig_name} {moment} the first write"
        assert not os.path.exists(report), f"{where}: {open(report).read()}"
        # It still dies of the signal: deferred, not swallowed.
        assert proc.exitcode == -getattr(signal, sig_name), f"{where}: exit {proc.exitcode}"
        events = _journal_events(root)
        host = Host(root)
        if op == "apply":
            journaled = sorted(e["index"] for e in events if e["event"] == "file")
            assert journaled == list(range(len(fx.plan.files))), f"{where}: journal {events}"
            for change in fx.plan.files:
                assert host.read_bytes(change.path) == change.new_bytes(), f"{where}: {change.path} not new"
            assert list_applies(host)[-1].status == "interrupted"
            finish(fx.host(root), skip_commands=True)
            assert list_applies(host)[-1].status == "applied"
        else:
            rolled = sorted(e["index"] for e in events if e["event"] == "rollback-file")
            assert rolled == list(range(len(fx.plan.files))), f"{where}: journal {events}"
            assert digest(root) == fx.before, f"{where}: the tree is not the old one"
        assert temp_files(root) == [], where
