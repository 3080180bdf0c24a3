"""Apply a plan atomically, with backups and a journal; roll it back byte for byte.

On-disk state lives below the host's root in ``/var/lib/kdumpwiz`` (0700):

``lock``                      flock()ed while an apply/rollback runs; the kernel
                              drops the lock of a killed process, so it never goes stale
``applies/<id>/plan.json``    what the apply does: files (hashes, mode, owner, xattrs), commands
``applies/<id>/backup/N``     the old bytes of file N (absent for created files)
``applies/<id>/new/N``        the new bytes of file N (so an interrupted apply can be finished)
``applies/<id>/journal``      one JSON line per completed step (and one before each command starts),
                              fsync()ed before the next
``pending.json``              the last successful apply, until verify sees it booted

Every file is written to a temporary file in its own directory, fsync()ed and
renamed over the old one, so at any instant -- SIGKILL, a dropped SSH link,
ENOSPC -- each managed file is either entirely old or entirely new. The journal
says how far an apply got, and :func:`finish` or :func:`rollback` completes or
undoes it.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import json
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, TypeVar

from .errors import ApplyError, HostError, LockedError
from .host import CommandResult, Host
from .changes import PlannedCommand, sha256
from .plan import Plan

STATE_DIR = "/var/lib/kdumpwiz"
SELINUX_XATTR = "security.selinux"
#: Prefix of the temporary files atomic_write creates next to their targets.
TEMP_PREFIX = ".kdumpwiz-"
# Exactly what tempfile.mkstemp(prefix=TEMP_PREFIX) names: 8 characters from its alphabet.
_TEMP_NAME_RE = re.compile(re.escape(TEMP_PREFIX) + r"[a-z0-9_]{8}")

#: Progress events for the wizard and the CLI: (kind, message).
EventCallback = Callable[[str, str], None]


def _noop(kind: str, message: str) -> None:
    pass


@dataclass
class ApplyRecord:
    """One apply as the state directory remembers it."""

    id: str
    status: str                     # prepared | applying | applied | failed | interrupted | rolled_back
    crashkernel: str
    started: float
    files: List[Dict[str, Any]]
    commands: List[Dict[str, Any]]          # {"argv": [...], "produces": [...], "timeout": s, "undo": {...} | None}
    #: Only in records written before commands carried their own undo: run unconditionally.
    legacy_rollback_commands: Optional[List[Dict[str, Any]]] = None
    derived: List[Dict[str, Any]] = field(default_factory=list)
    derived_after: Dict[str, Optional[str]] = field(default_factory=dict)
    done_files: List[int] = field(default_factory=list)
    done_commands: List[int] = field(default_factory=list)
    #: Commands the apply started, whatever became of them: a killed or failed one may still have acted.
    attempted_commands: List[int] = field(default_factory=list)
    #: Commands not run because of --skip-commands.
    skipped_commands: List[int] = field(default_factory=list)
    failed_command: Optional[Dict[str, Any]] = None
    answers: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        """JSON form."""
        return {
            "id": self.id,
            "status": self.status,
            "crashkernel": self.crashkernel,
            "started": self.started,
            "files": [f["path"] for f in self.files],
            "commands": [c["argv"] for c in self.commands],
            "failed_command": self.failed_command,
            "changed": self.changed,
        }

    @property
    def changed(self) -> bool:
        """True when this apply wrote a file or ran a command: something a rollback can undo."""
        return bool(self.done_files or self.attempted_commands)


@dataclass
class ApplyResult:
    """What an apply did."""

    id: str
    status: str
    files_written: List[str]
    commands_run: List[CommandResult]
    commands_skipped: List[List[str]]

    def to_dict(self) -> Dict[str, Any]:
        """JSON form."""
        return {
            "id": self.id,
            "status": self.status,
            "files_written": self.files_written,
            "commands_run": [{"argv": list(r.argv), "returncode": r.returncode} for r in self.commands_run],
            "commands_skipped": self.commands_skipped,
        }


# -- low-level file operations ---------------------------------------------------


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _get_xattrs(real: str) -> Dict[str, str]:
    """Every extended attribute of ``real`` (name -> hex value).

    The rename of atomic_write replaces the inode, so whatever is not copied is
    lost: not only the SELinux label (security.selinux) but POSIX ACLs
    (system.posix_acl_access), IMA/EVM and user.* attributes that an in-place
    edit with an editor would have kept. Attributes the filesystem will not
    let us set again are skipped one by one in atomic_write.
    """
    out: Dict[str, str] = {}
    try:
        names = os.listxattr(real, follow_symlinks=False)
    except OSError:
        names = []
    if SELINUX_XATTR not in names:
        names = list(names) + [SELINUX_XATTR]  # some filesystems list it only on request
    for name in names:
        try:
            out[name] = os.getxattr(real, name, follow_symlinks=False).hex()
        except OSError:
            pass
    return out


def atomic_write(real: str, data: bytes, *, mode: int, uid: Optional[int], gid: Optional[int],
                 xattrs: Optional[Dict[str, str]] = None) -> None:
    """Replace ``real`` with ``data``: temp file in the same directory, fsync, rename, fsync dir.

    Mode, owner and extended attributes (SELinux label, ACLs) are set on the
    temp file before the rename, so there is no instant where the new file has
    the wrong ones.
    """
    directory = os.path.dirname(real)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            if uid is not None and gid is not None and os.geteuid() == 0:
                os.fchown(fh.fileno(), uid, gid)
            for name, hexval in (xattrs or {}).items():
                try:
                    os.setxattr(tmp, name, bytes.fromhex(hexval))
                except OSError:
                    pass  # filesystem without xattrs: nothing to keep
            os.fsync(fh.fileno())
        os.rename(tmp, real)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)


def _write_private(path: str, data: bytes) -> None:
    """A state file: 0600, atomic."""
    atomic_write(path, data, mode=0o600, uid=None, gid=None)


class StateDir:
    """The kdumpwiz state directory of one host."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.real = str(host.path(STATE_DIR))

    def ensure(self) -> None:
        """Create the directory tree with root-only permissions."""
        for sub in ("", "/applies"):
            path = self.real + sub
            os.makedirs(path, mode=0o700, exist_ok=True)
            os.chmod(path, 0o700)

    def apply_dir(self, apply_id: str) -> str:
        """Real path of one apply's directory."""
        if "/" in apply_id or apply_id.startswith("."):
            raise ApplyError(f"bad apply id {apply_id!r}")
        return f"{self.real}/applies/{apply_id}"

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the kdumpwiz lock (non-blocking: a second apply is refused at once)."""
        self.ensure()
        path = f"{self.real}/lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
                raise LockedError(
                    f"another kdumpwiz is applying or rolling back right now (pid {holder})",
                    hint="wait for it to finish; the lock disappears with that process",
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            yield
        finally:
            os.close(fd)

    def records(self) -> List[ApplyRecord]:
        """Every apply known, oldest first."""
        base = f"{self.real}/applies"
        try:
            names = sorted(os.listdir(base))
        except OSError:
            return []
        out = []
        for name in names:
            rec = self.load(name)
            if rec is not None:
                out.append(rec)
        return out

    def load(self, apply_id: str) -> Optional[ApplyRecord]:
        """Read an apply's plan.json and replay its journal."""
        d = self.apply_dir(apply_id)
        try:
            with open(f"{d}/plan.json", encoding="utf-8") as fh:
                meta = json.load(fh)
        except (OSError, ValueError):
            return None
        rec = ApplyRecord(
            id=apply_id,
            status="prepared",
            crashkernel=meta.get("crashkernel", ""),
            started=meta.get("started", 0.0),
            files=meta.get("files", []),
            commands=meta.get("commands", []),
            legacy_rollback_commands=None if all("undo" in c for c in meta.get("commands", []))
            else meta.get("rollback_commands", []),
            derived=meta.get("derived", []),
            answers=meta.get("answers", {}),
        )
        try:
            with open(f"{d}/journal", encoding="utf-8") as fh:
                lines = fh.read().splitlines()
        except OSError:
            lines = []
        for line in lines:
            try:
                ev = json.loads(line)
            except ValueError:
                # A torn line (the process died inside the write): the step it
                # describes did not complete. Later lines are whole events
                # written by the next run (journal() starts them on a new line).
                continue
            kind = ev.get("event")
            if kind == "file":
                rec.done_files.append(ev["index"])
                rec.status = "applying"
            elif kind == "command-start":
                rec.attempted_commands.append(ev["index"])
                rec.status = "applying"
            elif kind == "command":
                if ev["index"] not in rec.attempted_commands:
                    rec.attempted_commands.append(ev["index"])  # journals written before command-start existed
                if ev.get("returncode") == 0:
                    rec.done_commands.append(ev["index"])
                rec.status = "applying"
            elif kind == "derived":
                rec.derived_after = ev.get("hashes", {})
            elif kind == "status":
                rec.status = ev["status"]
                rec.failed_command = ev.get("failed_command")
                rec.skipped_commands.extend(ev.get("skipped_index", []))
            elif kind == "rollback-file":
                rec.status = "rolling_back"
        if rec.status in ("prepared", "applying", "rolling_back"):
            rec.status = "interrupted"
        return rec

    def journal(self, apply_id: str, event: Dict[str, Any]) -> None:
        """Append one event and make it durable before going on."""
        event = dict(event, time=time.time())
        path = f"{self.apply_dir(apply_id)}/journal"
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            line = (json.dumps(event, sort_keys=True) + "\n").encode()
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                # A killed process left a torn last line; without this newline
                # the event would be glued to it and lost with it.
                line = b"\n" + line
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def read_blob(self, apply_id: str, kind: str, index: int) -> bytes:
        """A backup (``backup``) or new copy (``new``) of file ``index``."""
        with open(f"{self.apply_dir(apply_id)}/{kind}/{index}", "rb") as fh:
            return fh.read()

    def set_pending(self, data: Optional[Dict[str, Any]]) -> None:
        """Remember (or forget, with None) the apply that waits for a reboot."""
        self.write_json("pending.json", data)

    def pending(self) -> Optional[Dict[str, Any]]:
        """The apply that waits for a reboot, if any."""
        return self.read_json("pending.json")

    def write_json(self, name: str, data: Optional[Dict[str, Any]]) -> None:
        """Write (or delete, with None) a small JSON state file."""
        path = f"{self.real}/{name}"
        if data is None:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            return
        self.ensure()
        _write_private(path, json.dumps(data, indent=2, sort_keys=True).encode())

    def read_json(self, name: str) -> Optional[Dict[str, Any]]:
        """Read a small JSON state file, None when absent or broken."""
        try:
            with open(f"{self.real}/{name}", encoding="utf-8") as fh:
                return json.load(fh)
        except (OSError, ValueError):
            return None


def interrupted(host: Host) -> Optional[ApplyRecord]:
    """The newest apply that did not finish (killed, link dropped), if any."""
    for rec in reversed(StateDir(host).records()):
        if rec.status == "interrupted":
            return rec
        if rec.status in ("applied", "rolled_back", "failed"):
            return None
    return None


def refuse_if_interrupted(host: Host) -> None:
    """Raise ApplyError while an apply is unfinished: finish or undo it first.

    A new plan would diff against files that are partly old, partly new. Used
    by apply_plan (under the lock) and by the CLI's plan and apply before any
    planning, so both say the same thing.
    """
    stuck = interrupted(host)
    if stuck is not None:
        raise ApplyError(
            f"apply {stuck.id} was interrupted before it finished (it was changing "
            f"{', '.join(f['path'] for f in stuck.files) or 'no files'}); nothing new was planned or written",
            hint=f"run {host.cli('apply --finish --yes')} to complete it or {host.cli('rollback')} to undo it",
        )


@contextmanager
def _deferred_signals() -> Iterator[List[int]]:
    """Hold SIGHUP/SIGINT/SIGTERM until the block ends (main thread only).

    A dropped SSH link sends SIGHUP; deferring it over the few milliseconds of
    file writes keeps the journal and the files in step. Commands run outside.
    """
    received: List[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    old = {}
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
        old[sig] = signal.signal(sig, lambda s, f: received.append(s))
    try:
        yield received
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        if received:
            os.kill(os.getpid(), received[0])


def _sweep_temp_files(directories: Iterable[str]) -> List[str]:
    """Remove temporary files that a killed kdumpwiz left behind; returns their paths.

    Only SIGKILL (or a power cut) between mkstemp and rename can leave one: the
    signals kdumpwiz can catch are deferred or clean up. Such a file is
    harmless -- root-only (0600), and its dot-name matches no reader's glob
    (grub.d takes ``*.cfg``, BLS ``*.conf``) -- but it is litter, so every
    apply, finish and rollback removes the ones in the directories it manages.
    Called under the lock, so no other kdumpwiz is writing one at this moment.
    """
    removed = []
    for directory in dict.fromkeys(directories):
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            if not _TEMP_NAME_RE.fullmatch(name):
                continue
            path = os.path.join(directory, name)
            try:
                if stat.S_ISREG(os.lstat(path).st_mode):
                    os.unlink(path)
                    removed.append(path)
            except OSError:
                pass  # best effort: a leftover temp file does no harm
    return removed


def _state_dirs(state: "StateDir") -> List[str]:
    """The state directory and every apply directory in it.

    An apply directory without ``plan.json`` is what a process killed while
    saving backups leaves (nothing was changed yet, and it is not a record);
    under the lock nobody else can be writing it, so it is removed.
    """
    dirs = [state.real, f"{state.real}/applies"]
    try:
        names = os.listdir(f"{state.real}/applies")
    except OSError:
        names = []
    for name in names:
        base = f"{state.real}/applies/{name}"
        if os.path.isdir(base) and not os.path.lexists(f"{base}/plan.json"):
            shutil.rmtree(base, ignore_errors=True)
            continue
        dirs += [base, f"{base}/backup", f"{base}/new", f"{base}/derived"]
    return dirs


def _sweep(host: Host, state: "StateDir", paths: Iterable[str] = ()) -> None:
    """Sweep leftover temp files next to ``paths``, every recorded file and in the state directory."""
    managed = list(paths)
    for rec in state.records():
        managed += [f["path"] for f in rec.files] + [d["path"] for d in rec.derived]
    dirs = []
    for path in managed:
        try:
            dirs.append(os.path.dirname(str(host.path(path))))
        except HostError:
            continue
    _sweep_temp_files(dirs + _state_dirs(state))


_F = TypeVar("_F", bound=Callable[..., Any])


def _filesystem_errors(what: str) -> Callable[[_F], _F]:
    """Turn an OSError (ENOSPC, EROFS, EIO ...) escaping ``what`` into an ApplyError.

    A raw OSError would reach the admin as a traceback; the facts they need are
    that every file is still whole (atomic writes) and how to go on.
    """

    def wrap(func: _F) -> _F:
        @functools.wraps(func)
        def inner(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except OSError as exc:
                where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
                host: Host = args[0]  # every decorated function takes the host first
                raise ApplyError(
                    f"{what} stopped: {exc.strerror or exc}{where}; every file kdumpwiz manages is either "
                    f"unchanged or completely written",
                    hint=f"free space or make the filesystem writable, then run {host.cli('apply --finish --yes')} "
                    f"or {host.cli('rollback')} (see {host.cli('rollback --list')})",
                ) from None
        return inner  # type: ignore[return-value]

    return wrap


def _check_root(host: Host) -> None:
    if host.is_live and os.geteuid() != 0:
        raise ApplyError("kdumpwiz must run as root to change the boot and kdump configuration",
                         hint="run it with sudo, or as root")


def _new_id() -> str:
    """A sortable, unique apply id: UTC time to the microsecond, then the pid."""
    now = time.time()
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}-{os.getpid()}"


@_filesystem_errors("apply")
def apply_plan(
    host: Host,
    plan: Plan,
    *,
    skip_commands: bool = False,
    on_event: EventCallback = _noop,
    on_output: Optional[Callable[[str], None]] = None,
) -> ApplyResult:
    """Write the plan's files atomically, then run its commands; journal every step.

    Raises :class:`ApplyError` when something fails; files already written stay
    written (each whole) and ``kdumpwiz rollback`` restores them.
    """
    _check_root(host)
    if not plan.files and (skip_commands or not plan.commands):
        refuse_if_interrupted(host)
        # Nothing would be written or run: no record, or a later rollback would
        # "undo" this no-op instead of the apply that really changed the machine.
        on_event("done", "nothing to change")
        return ApplyResult("", "unchanged", [], [], [list(c.argv) for c in plan.commands])
    state = StateDir(host)
    with state.lock():
        _sweep(host, state, [c.path for c in plan.files] + [p for c in plan.commands for p in c.produces])
        refuse_if_interrupted(host)
        # Nothing may have changed since the plan was made (the admin reviewed that diff).
        metas = []
        for i, change in enumerate(plan.files):
            real = str(host.path(change.path))
            try:
                current: Optional[bytes] = host.read_bytes(change.path) if os.path.lexists(real) else None
            except HostError as exc:
                raise ApplyError(str(exc)) from None
            if current != change.old_bytes():
                raise ApplyError(f"{change.path} changed since the plan was made; nothing was written",
                                 hint="run the plan again and review the new diff")
            if current is not None:
                st = os.stat(real)
                metas.append({"mode": stat.S_IMODE(st.st_mode), "uid": st.st_uid, "gid": st.st_gid,
                              "xattrs": _get_xattrs(real)})
            else:
                parent = os.path.dirname(real)
                if not os.path.isdir(parent):
                    raise ApplyError(f"{os.path.dirname(change.path)} does not exist; cannot create {change.path}")
                metas.append({"mode": change.mode, "uid": 0, "gid": 0, "xattrs": {}})
        apply_id = _new_id()
        while os.path.exists(state.apply_dir(apply_id)):
            apply_id = _new_id()
        d = state.apply_dir(apply_id)
        try:
            # makedirs gives intermediate directories 0777 & ~umask: create the
            # apply directory itself with 0700 first.
            os.makedirs(d, mode=0o700)
            os.makedirs(f"{d}/backup", mode=0o700)
            os.makedirs(f"{d}/new", mode=0o700)
            files_meta = []
            for i, (change, meta) in enumerate(zip(plan.files, metas)):
                old = change.old_bytes()
                if old is not None:
                    _write_private(f"{d}/backup/{i}", old)
                _write_private(f"{d}/new/{i}", change.new_bytes())
                files_meta.append(dict(meta, path=change.path, created=old is None,
                                       old_sha256=sha256(old) if old is not None else None,
                                       new_sha256=sha256(change.new_bytes())))
            derived = _backup_derived(host, d, plan.commands)
            meta_doc: Dict[str, Any] = {
                "id": apply_id,
                "started": time.time(),
                "crashkernel": plan.crashkernel,
                "answers": plan.answers.to_dict(),
                "files": files_meta,
                "derived": derived,
                "commands": [_command_doc(c) for c in plan.commands],
            }
            _write_private(f"{d}/plan.json", json.dumps(meta_doc, indent=2, sort_keys=True).encode())
        except OSError as exc:
            # No managed file was touched yet: drop the half-made backups so
            # they are not mistaken for an apply, and say so.
            shutil.rmtree(d, ignore_errors=True)
            where = f" ({exc.filename})" if exc.filename else ""
            raise ApplyError(f"saving the backups in {STATE_DIR} failed: {exc.strerror or exc}{where}; "
                             f"nothing was changed",
                             hint=f"free space on the filesystem of {STATE_DIR} (or make it writable) and apply again") from None
        on_event("prepared", f"backups saved in {STATE_DIR}/applies/{apply_id}")
        written = _write_files(host, state, apply_id, files_meta, range(len(files_meta)), on_event)
        return _run_and_finish(host, state, apply_id, meta_doc["commands"], set(), written, derived,
                               skip_commands, on_event, on_output)


def _command_doc(cmd: PlannedCommand) -> Dict[str, Any]:
    return {"argv": list(cmd.argv), "produces": list(cmd.produces), "timeout": cmd.timeout, "reason": cmd.reason,
            "undo": _command_doc(cmd.undo) if cmd.undo is not None else None}


def _backup_derived(host: Host, apply_dir: str, commands: Sequence[PlannedCommand]) -> List[Dict[str, Any]]:
    """Back up the files the commands regenerate (grub.cfg) before they run."""
    os.makedirs(f"{apply_dir}/derived", mode=0o700, exist_ok=True)
    out: List[Dict[str, Any]] = []
    for path in dict.fromkeys(p for c in commands for p in c.produces):
        real = str(host.path(path))
        entry: Dict[str, Any] = {"path": path, "existed": os.path.isfile(real)}
        if entry["existed"]:
            data = host.read_bytes(path)
            st = os.stat(real)
            _write_private(f"{apply_dir}/derived/{len(out)}", data)
            entry.update(old_sha256=sha256(data), mode=stat.S_IMODE(st.st_mode), uid=st.st_uid, gid=st.st_gid,
                         xattrs=_get_xattrs(real))
        out.append(entry)
    return out


def _write_files(host: Host, state: StateDir, apply_id: str, files_meta: List[Dict[str, Any]],
                 indexes: Sequence[int], on_event: EventCallback) -> List[str]:
    written: List[str] = []
    with _deferred_signals():
        for i in indexes:
            meta = files_meta[i]
            real = str(host.path(meta["path"]))
            data = state.read_blob(apply_id, "new", i)
            try:
                atomic_write(real, data, mode=meta["mode"], uid=meta["uid"], gid=meta["gid"], xattrs=meta["xattrs"])
            except OSError as exc:
                state.journal(apply_id, {"event": "status", "status": "failed",
                                         "failed_command": {"argv": ["write", meta["path"]], "output": str(exc)}})
                raise ApplyError(
                    f"writing {meta['path']} failed ({exc.strerror}); {len(written)} file(s) were written before it, "
                    f"{meta['path']} is unchanged",
                    hint=f"run {host.cli('rollback')} to restore the files already written",
                ) from None
            state.journal(apply_id, {"event": "file", "index": i, "path": meta["path"]})
            on_event("file", f"wrote {meta['path']}")
            written.append(meta["path"])
    return written


def _run_and_finish(host: Host, state: StateDir, apply_id: str, commands: Sequence[Dict[str, Any]], done: set,
                    written: List[str], derived: List[Dict[str, Any]], skip_commands: bool,
                    on_event: EventCallback, on_output: Optional[Callable[[str], None]]) -> ApplyResult:
    results: List[CommandResult] = []
    skipped: List[List[str]] = []
    skipped_index: List[int] = []
    for i, cmd in enumerate(commands):
        argv = list(cmd["argv"])
        timeout = float(cmd.get("timeout", 900.0))
        if i in done:
            continue
        if skip_commands:
            skipped.append(argv)
            skipped_index.append(i)
            continue
        on_event("command", " ".join(argv))
        # Journalled before it runs: if kdumpwiz dies while it runs, a rollback
        # still knows the command may have acted and runs its undo.
        state.journal(apply_id, {"event": "command-start", "index": i, "argv": argv})
        result = host.run(argv, timeout=timeout, on_output=on_output)
        results.append(result)
        state.journal(apply_id, {"event": "command", "index": i, "argv": argv, "returncode": result.returncode})
        if not result.ok:
            _record_derived(host, state, apply_id, derived)
            failure = {"argv": argv, "returncode": result.returncode, "output": result.output[-4000:]}
            state.journal(apply_id, {"event": "status", "status": "failed", "failed_command": failure})
            why = "timed out" if result.timed_out else f"exited with status {result.returncode}"
            raise ApplyError(
                f"command '{' '.join(argv)}' {why}; the files were written ({', '.join(written) or 'none'}), "
                f"later commands did not run.\n{result.output[-2000:]}",
                hint=f"fix the cause and run {host.cli('apply --finish --yes')}, or undo with {host.cli('rollback')}",
            )
    _record_derived(host, state, apply_id, derived)
    status = "applied"
    state.journal(apply_id, {"event": "status", "status": status, "skipped": skipped, "skipped_index": skipped_index})
    rec = state.load(apply_id)
    state.set_pending({"apply_id": apply_id, "crashkernel": rec.crashkernel if rec else "", "time": time.time(),
                       "answers": rec.answers if rec else {}})
    on_event("done", "apply complete")
    return ApplyResult(apply_id, status, written, results, skipped)


def _record_derived(host: Host, state: StateDir, apply_id: str, derived: List[Dict[str, Any]]) -> None:
    """Journal what the commands made of the derived files (grub.cfg).

    A rollback restores their backups only while they still hold exactly this,
    i.e. nothing (a kernel update running update-grub) has regenerated them since.
    """
    hashes: Dict[str, Optional[str]] = {}
    for d in derived:
        current = _current(host, d["path"])
        hashes[d["path"]] = sha256(current) if current is not None else None
    state.journal(apply_id, {"event": "derived", "hashes": hashes})


@_filesystem_errors("finish")
def finish(host: Host, apply_id: Optional[str] = None, *, skip_commands: bool = False,
           on_event: EventCallback = _noop, on_output: Optional[Callable[[str], None]] = None) -> ApplyResult:
    """Complete an interrupted (or failed) apply from its journal."""
    _check_root(host)
    state = StateDir(host)
    with state.lock():
        _sweep(host, state)
        rec = _pick(state, apply_id, ("interrupted", "failed"))
        todo = []
        for i, meta in enumerate(rec.files):
            current = _current(host, meta["path"])
            new_sha = meta["new_sha256"]
            if current is not None and sha256(current) == new_sha:
                continue
            if (current is None and meta["created"]) or (current is not None and sha256(current) == meta["old_sha256"]):
                todo.append(i)
                continue
            raise ApplyError(f"{meta['path']} was changed by someone else since apply {rec.id}; not finishing it",
                             hint=f"review the file, then {host.cli('rollback')} or plan again")
        written = _write_files(host, state, rec.id, rec.files, todo, on_event)
        return _run_and_finish(host, state, rec.id, rec.commands, set(rec.done_commands), written, rec.derived,
                               skip_commands, on_event, on_output)


def _current(host: Host, path: str) -> Optional[bytes]:
    real = str(host.path(path))
    if not os.path.lexists(real):
        return None
    return host.read_bytes(path)


def _pick(state: StateDir, apply_id: Optional[str], statuses: Tuple[str, ...]) -> ApplyRecord:
    records = state.records()
    if apply_id:
        rec = state.load(apply_id)
        if rec is None:
            raise ApplyError(f"no apply with id {apply_id!r} (see {state.host.cli('rollback --list')})")
        if rec.status not in statuses:
            raise ApplyError(f"apply {apply_id} is {rec.status}; expected {' or '.join(statuses)}")
        return rec
    for rec in reversed(records):
        if rec.status in statuses and (rec.status != "applied" or rec.changed):
            # A rollback walks back over finished applies that changed nothing
            # (commands only, all skipped): there is nothing to undo in them. An
            # interrupted or failed one is still picked: it blocks new applies.
            return rec
    raise ApplyError("there is no apply to " + ("roll back" if "applied" in statuses else "finish"),
                     hint="nothing was changed by kdumpwiz on this machine" if not records else None)


@dataclass
class RollbackResult:
    """What a rollback restored."""

    id: str
    restored: List[str]
    removed: List[str]
    commands_run: List[CommandResult]
    commands_skipped: List[List[str]]
    #: Undos not run because the apply never ran their command (it had --skip-commands):
    #: if the admin ran that command by hand, the undo is theirs to run too.
    not_applied: List[List[str]] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        """JSON form."""
        return {"id": self.id, "restored": self.restored, "removed": self.removed,
                "commands_run": [{"argv": list(r.argv), "returncode": r.returncode} for r in self.commands_run],
                "commands_skipped": self.commands_skipped, "not_applied": self.not_applied}


def _undos(rec: ApplyRecord) -> Tuple[List[Dict[str, Any]], List[List[str]]]:
    """(undo commands to run, newest first; undos of commands the apply skipped).

    An undo runs only when the apply started its command (``systemctl
    disable`` only after kdumpwiz's own ``systemctl enable``): a command that
    failed or was cut off may still have acted, and its undo returns the
    machine to where it was before the apply either way.
    """
    if rec.legacy_rollback_commands is not None:
        return list(rec.legacy_rollback_commands), []
    run: List[Dict[str, Any]] = []
    not_applied: List[List[str]] = []
    for i in reversed(range(len(rec.commands))):
        undo = rec.commands[i].get("undo")
        if not undo:
            continue
        if i in rec.attempted_commands:
            run.append(undo)
        elif i in rec.skipped_commands:
            not_applied.append(list(undo["argv"]))
    return run, not_applied


@_filesystem_errors("rollback")
def rollback(host: Host, apply_id: Optional[str] = None, *, skip_commands: bool = False, force: bool = False,
             on_event: EventCallback = _noop, on_output: Optional[Callable[[str], None]] = None) -> RollbackResult:
    """Restore every file of the last (or the named) apply byte for byte.

    Refuses, before touching anything, when a file was changed by someone else
    after the apply (unless ``force``), since restoring would silently drop
    that change.
    """
    _check_root(host)
    state = StateDir(host)
    with state.lock():
        _sweep(host, state)
        rec = _pick(state, apply_id, ("applied", "failed", "interrupted"))
        actions = []
        for i, meta in enumerate(rec.files):
            current = _current(host, meta["path"])
            cur_sha = sha256(current) if current is not None else None
            if cur_sha == meta["old_sha256"] and not (meta["created"] and current is not None):
                continue  # never written (interrupted before it) or already restored
            if cur_sha != meta["new_sha256"] and not force:
                raise ApplyError(f"{meta['path']} was changed after apply {rec.id}; rolling back would lose that change",
                                 hint=f"review it; {host.cli('rollback --force')} restores the backup anyway")
            actions.append(i)
        restored, removed = [], []
        with _deferred_signals():
            for i in reversed(actions):
                meta = rec.files[i]
                real = str(host.path(meta["path"]))
                if meta["created"]:
                    os.unlink(real)
                    _fsync_dir(os.path.dirname(real))
                    removed.append(meta["path"])
                else:
                    atomic_write(real, state.read_blob(rec.id, "backup", i), mode=meta["mode"],
                                 uid=meta["uid"], gid=meta["gid"], xattrs=meta["xattrs"])
                    restored.append(meta["path"])
                state.journal(rec.id, {"event": "rollback-file", "index": i, "path": meta["path"]})
                on_event("file", f"restored {meta['path']}")
            restored_derived = _restore_derived(host, state, rec)
        results: List[CommandResult] = []
        skipped: List[List[str]] = []
        undos, not_applied = _undos(rec)
        for cmd in undos:
            argv = list(cmd["argv"])
            if cmd.get("produces") and all(p in restored_derived for p in cmd["produces"]):
                on_event("file", f"restored {', '.join(cmd['produces'])} (so '{' '.join(argv)}' is not needed)")
                continue
            if skip_commands:
                skipped.append(argv)
                continue
            on_event("command", " ".join(argv))
            result = host.run(argv, on_output=on_output)
            results.append(result)
            if not result.ok:
                state.journal(rec.id, {"event": "status", "status": "rolled_back", "warning": result.output[-2000:]})
                raise ApplyError(f"files restored, but '{' '.join(argv)}' failed:\n{result.output[-2000:]}",
                                 hint=f"run '{' '.join(argv)}' by hand before rebooting")
        state.journal(rec.id, {"event": "status", "status": "rolled_back"})
        pending = state.pending()
        if pending and pending.get("apply_id") == rec.id:
            state.set_pending(None)
        on_event("done", "rollback complete")
        return RollbackResult(rec.id, restored, removed, results, skipped, not_applied)


def _restore_derived(host: Host, state: StateDir, rec: ApplyRecord) -> List[str]:
    """Put back derived files (grub.cfg) that still hold what the apply's commands made."""
    done = []
    for i, entry in enumerate(rec.derived):
        path = entry["path"]
        if path not in rec.derived_after:
            continue  # the commands never completed: regenerate instead
        current = _current(host, path)
        if (sha256(current) if current is not None else None) != rec.derived_after[path]:
            continue  # changed since (a kernel update ran update-grub): regenerate instead
        real = str(host.path(path))
        if entry["existed"]:
            atomic_write(real, state.read_blob(rec.id, "derived", i), mode=entry["mode"], uid=entry["uid"],
                         gid=entry["gid"], xattrs=entry.get("xattrs", {}))
        elif current is not None:
            os.unlink(real)
        state.journal(rec.id, {"event": "rollback-derived", "path": path})
        done.append(path)
    return done


def list_applies(host: Host) -> List[ApplyRecord]:
    """Every apply recorded on the host, oldest first."""
    return StateDir(host).records()
