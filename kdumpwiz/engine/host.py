"""The machine being configured: a root directory and a command runner.

Every file the engine reads or writes and every command it runs goes through a
:class:`Host`. With ``root="/"`` that is the live system; with any other root
(tests, images, chroots) paths are taken below that directory -- ``/proc`` and
``/sys`` included -- and commands run through ``chroot ROOT``.

Symlinks inside the tree are resolved *within* the root (an absolute link such
as ``/var/lib/kdump/vmlinuz -> /boot/vmlinuz-6.1.0`` points into the tree, as it
would for a process chrooted there), so a fixture can never leak to the files
of the machine the tests run on.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import stat as stat_mod
import subprocess
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from .errors import HostError

#: Symlink hops allowed while resolving one path, as in the kernel's MAXSYMLINKS.
_MAX_SYMLINKS = 40


@dataclass(frozen=True)
class CommandResult:
    """The outcome of one command: argv, exit status and captured output."""

    argv: Tuple[str, ...]
    returncode: int
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        """True when the command exited 0 and was neither timed out nor cancelled."""
        return self.returncode == 0 and not self.timed_out and not self.cancelled

    @property
    def output(self) -> str:
        """stdout and stderr together, for messages."""
        return (self.stdout + self.stderr).strip()


#: Called with each line of output while a command runs (the wizard streams it).
OutputCallback = Callable[[str], None]


class Runner:
    """Runs argv lists. Never a shell: the argv goes to exec() as it is."""

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: Optional[float] = None,
        env: Optional[Mapping[str, str]] = None,
        on_output: Optional[OutputCallback] = None,
        cancel: Optional[threading.Event] = None,
    ) -> CommandResult:
        """Run ``argv`` and return its result; never raises for a non-zero exit.

        Setting ``cancel`` stops the command (and every process it started).
        """
        raise NotImplementedError


class SubprocessRunner(Runner):
    """The real runner: :mod:`subprocess` with an argv list and a timeout."""

    #: Seconds between the polite signal and SIGKILL when stopping a command.
    GRACE = 5.0

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: Optional[float] = None,
        env: Optional[Mapping[str, str]] = None,
        on_output: Optional[OutputCallback] = None,
        cancel: Optional[threading.Event] = None,
    ) -> CommandResult:
        """Run the command, streaming merged output lines to ``on_output``.

        The command runs in its own session, so a timeout or a cancel stops the
        whole process group: apt's dpkg or dracut's helpers would otherwise keep
        the output pipe open and the run would never return.
        """
        argv = tuple(argv)
        full_env = dict(os.environ)
        # Tools like update-grub and dracut translate their messages; we show
        # them to the admin as they are but parse nothing from them.
        full_env.setdefault("LC_ALL", "C.UTF-8")
        if env:
            full_env.update(env)
        try:
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=full_env,
                text=True,
                errors="replace",
                start_new_session=True,
            )
        except OSError as exc:
            return CommandResult(argv, 127, "", f"{argv[0]}: {exc.strerror}\n")
        lines: List[str] = []
        timed_out = threading.Event()
        cancelled = threading.Event()
        finished = threading.Event()

        def _signal_group(sig: int) -> None:
            try:
                os.killpg(proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

        def _stop(flag: threading.Event, first: int) -> None:
            # A cancel is the admin's Ctrl+C: SIGINT first, so apt/dpkg can stop
            # cleanly; a timeout means the command hangs, so it is killed at once.
            flag.set()
            _signal_group(first)
            if first != signal.SIGKILL and not finished.wait(self.GRACE):
                _signal_group(signal.SIGKILL)

        timer = threading.Timer(timeout, _stop, (timed_out, signal.SIGKILL)) if timeout else None
        if timer:
            timer.daemon = True
            timer.start()
        if cancel is not None:
            def _watch() -> None:
                while not finished.is_set():
                    if cancel.wait(0.2):
                        _stop(cancelled, signal.SIGINT)
                        return
            threading.Thread(target=_watch, name="kdumpwiz-cancel", daemon=True).start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                if on_output:
                    on_output(line.rstrip("\n"))
            proc.wait()
        finally:
            finished.set()
            if timer:
                timer.cancel()
        # Descendants that outlived the leader still belong to this command.
        if timed_out.is_set() or cancelled.is_set():
            _signal_group(signal.SIGKILL)
        code = 124 if timed_out.is_set() else (130 if cancelled.is_set() else proc.returncode)
        return CommandResult(argv, code, "".join(lines), "", timed_out.is_set(), cancelled.is_set())


@dataclass
class RecordingRunner(Runner):
    """A runner that records commands instead of running them.

    Used by tests and by ``--demo``. ``responses`` maps an argv prefix to the
    result to give; ``effects`` maps an argv prefix to a callback that may change
    the tree, standing in for what the real tool would do (for example
    ``systemctl enable`` creating its symlink). Unknown commands succeed with no
    output, which is what a dry run wants.
    """

    responses: Dict[Tuple[str, ...], CommandResult] = field(default_factory=dict)
    effects: Dict[Tuple[str, ...], Callable[[Tuple[str, ...]], None]] = field(
        default_factory=dict
    )
    calls: List[Tuple[str, ...]] = field(default_factory=list)

    @property
    def logical_calls(self) -> List[Tuple[str, ...]]:
        """The recorded commands without their ``chroot ROOT`` prefix."""
        return [c[2:] if len(c) > 2 and c[0] == "chroot" else c for c in self.calls]

    def respond(self, prefix: Sequence[str], returncode: int = 0, stdout: str = "", stderr: str = "") -> None:
        """Give ``returncode``/output to every later command starting with ``prefix``."""
        self.responses[tuple(prefix)] = CommandResult(tuple(prefix), returncode, stdout, stderr)

    def _match(self, table: Mapping[Tuple[str, ...], object], argv: Tuple[str, ...]) -> object:
        best = None
        for prefix, value in table.items():
            if argv[: len(prefix)] == prefix and (best is None or len(prefix) > len(best[0])):
                best = (prefix, value)
        return best[1] if best else None

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: Optional[float] = None,
        env: Optional[Mapping[str, str]] = None,
        on_output: Optional[OutputCallback] = None,
        cancel: Optional[threading.Event] = None,
    ) -> CommandResult:
        """Record ``argv`` and return the scripted (or a successful) result."""
        argv = tuple(argv)
        self.calls.append(argv)
        # Scripts and effects are written for the command as the tool sees it,
        # without the "chroot ROOT" that Host.run puts in front off the live root.
        logical = argv[2:] if len(argv) > 2 and argv[0] == "chroot" else argv
        effect = self._match(self.effects, logical)
        if effect is not None:
            effect(logical)  # type: ignore[operator]
        scripted = self._match(self.responses, logical)
        if isinstance(scripted, CommandResult):
            result = CommandResult(argv, scripted.returncode, scripted.stdout, scripted.stderr)
        else:
            result = CommandResult(argv, 0, "", "")
        if on_output:
            for line in result.output.splitlines():
                on_output(line)
        return result


class Host:
    """One machine: every path under ``root``, every command through ``runner``.

    ``root`` defaults to ``/``. With another root, :meth:`run` prefixes
    ``chroot ROOT`` so tools see the tree as their ``/``.
    """

    def __init__(self, root: "str | Path" = "/", runner: Optional[Runner] = None) -> None:
        self.root = Path(root).resolve()
        self.runner: Runner = runner if runner is not None else SubprocessRunner()
        # Asked for every path (thousands of times in a plan with many BLS entries): computed once.
        self._root_text = str(self.root)
        self._live = self._root_text == "/"
        # Per thread: a read scope in a planning worker must never serve an apply in another thread.
        self._scope = threading.local()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """A read-only scope: paths are resolved and files read once, however often they are asked for.

        ``detect`` and ``build_plan`` run inside one: a plan over 100 BLS entries
        asked for each entry five times, and every path walked its symlinks again
        (bench/speed). Only the calling thread's reads are cached, and only until
        the outermost scope ends, so nothing that writes (apply, rollback) ever sees
        them: those check the files they change against their own fresh reads.
        """
        scope = self._scope
        depth = getattr(scope, "depth", 0)
        if depth == 0:
            scope.paths = {}
            scope.reads = {}
        scope.depth = depth + 1
        try:
            yield
        finally:
            scope.depth = depth
            if depth == 0:
                scope.paths = scope.reads = None

    def cli(self, words: str) -> str:
        """A kdumpwiz command line for this host, quoted for messages.

        Hints name the command to run next; off the live root it needs the same
        ``--root``, or it would look at the state of the machine it runs on.
        """
        if self.is_live:
            return f"'kdumpwiz {words}'"
        path = str(self.root)
        if shlex.quote(path) != path:
            # Double quotes: the message itself wraps the command in single quotes.
            path = '"' + "".join("\\" + c if c in '\\"$`' else c for c in path) + '"'
        return f"'kdumpwiz --root {path} {words}'"

    # -- paths -------------------------------------------------------------

    @property
    def _root_str(self) -> str:
        return self._root_text

    @property
    def is_live(self) -> bool:
        """True when this host is the running system (root ``/``)."""
        return self._live

    def path(self, p: str, *, follow: bool = True) -> Path:
        """The real filesystem path of absolute path ``p`` inside the root.

        Symlinks are resolved inside the root (absolute link targets restart at
        the root, ``..`` never climbs above it). With ``follow=False`` the last
        component is not resolved (for ``lstat``, unlink and rename).
        """
        if not isinstance(p, str):
            p = os.fspath(p)
        if not p.startswith("/"):
            raise HostError(f"internal error: host path {p!r} is not absolute")
        if self._live:
            # The live root needs no containment; keep paths as the user wrote them.
            return Path(os.path.normpath(p))
        cache: Optional[Dict[Tuple[str, bool], Path]] = getattr(self._scope, "paths", None)
        if cache is None:
            return self._resolve(p, follow)
        key = (p, follow)
        found = cache.get(key)
        if found is None:
            found = cache[key] = self._resolve_in_scope(p, follow)
        return found

    def _resolve_in_scope(self, p: str, follow: bool) -> Path:
        """:meth:`_resolve` through the scope's cache of the parent directory (one lstat per new path)."""
        head, _, tail = p.rstrip("/").rpartition("/")
        if not tail or tail in (".", "..") or "/./" in p or "/../" in p or "//" in p or not head:
            return self._resolve(p, follow)
        try:
            parent = str(self.path(head))
        except HostError:
            return self._resolve(p, follow)  # the same error, naming the path asked for
        candidate = parent + "/" + tail
        if follow and os.path.islink(candidate):
            return self._resolve(p, follow)
        return Path(candidate)

    def _resolve(self, p: str, follow: bool) -> Path:
        # Plain strings and os.path.islink: pathlib objects per component made
        # this the hottest function of a plan with many BLS entries (bench/speed).
        root = self._root_str
        parts = [x for x in p.split("/") if x][::-1]  # a stack: the next component is last
        resolved: List[str] = []
        hops = 0
        while parts:
            part = parts.pop()
            if part == ".":
                continue
            if part == "..":
                if resolved:
                    resolved.pop()
                continue
            candidate = root + "/" + "/".join(resolved + [part]) if resolved else root + "/" + part
            if (follow or parts) and os.path.islink(candidate):
                hops += 1
                if hops > _MAX_SYMLINKS:
                    raise HostError(f"{p}: too many levels of symbolic links")
                target = os.readlink(candidate)
                if target.startswith("/"):
                    resolved = []
                parts.extend(x for x in reversed(target.split("/")) if x)
                continue
            resolved.append(part)
        return Path(root + "/" + "/".join(resolved)) if resolved else self.root

    def exists(self, p: str) -> bool:
        """True if ``p`` exists (following symlinks inside the root)."""
        try:
            return self.path(p).exists()
        except HostError:
            return False

    def lexists(self, p: str) -> bool:
        """True if ``p`` exists as a file, directory or (even dangling) symlink."""
        return os.path.lexists(self.path(p, follow=False))

    def is_file(self, p: str) -> bool:
        """True if ``p`` is a regular file (after symlinks)."""
        try:
            return self.path(p).is_file()
        except HostError:
            return False

    def is_dir(self, p: str) -> bool:
        """True if ``p`` is a directory (after symlinks)."""
        try:
            return self.path(p).is_dir()
        except HostError:
            return False

    def is_symlink(self, p: str) -> bool:
        """True if ``p`` itself is a symlink."""
        return self.path(p, follow=False).is_symlink()

    def read_bytes(self, p: str) -> bytes:
        """The bytes of file ``p``; :class:`HostError` when it cannot be read."""
        cache: Optional[Dict[str, Union[bytes, HostError]]] = getattr(self._scope, "reads", None)
        if cache is not None and p in cache:
            found = cache[p]
            if isinstance(found, HostError):
                raise HostError(found.message, hint=found.hint)
            return found
        try:
            data = self.path(p).read_bytes()
        except HostError as exc:
            if cache is not None:
                cache[p] = exc
            raise
        except OSError as exc:
            err = HostError(f"cannot read {p}: {exc.strerror or exc}")
            if cache is not None:
                cache[p] = err
            raise err from exc
        if cache is not None:
            cache[p] = data
        return data

    def read_head(self, p: str, n: int) -> bytes:
        """The first ``n`` bytes of file ``p`` (a kernel's header without reading the whole image)."""
        try:
            with open(self.path(p), "rb") as fh:
                return fh.read(n)
        except OSError as exc:
            raise HostError(f"cannot read {p}: {exc.strerror or exc}") from exc

    def read_text(self, p: str) -> str:
        """File ``p`` as UTF-8 text; refuses files that are not valid UTF-8."""
        data = self.read_bytes(p)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HostError(
                f"{p} is not valid UTF-8 text (byte {exc.start}); kdumpwiz will not edit it"
            ) from exc

    def read_optional(self, p: str) -> Optional[str]:
        """File ``p`` as text, or None when it does not exist or is unreadable."""
        try:
            return self.read_text(p)
        except HostError:
            return None

    def listdir(self, p: str) -> List[str]:
        """Sorted (byte order) names in directory ``p``; empty if it is missing."""
        try:
            names = os.listdir(self.path(p))
        except (OSError, HostError):
            return []
        return sorted(names, key=lambda n: n.encode("utf-8", "surrogateescape"))

    def stat(self, p: str, *, follow: bool = True) -> os.stat_result:
        """``stat``/``lstat`` of ``p``."""
        target = self.path(p, follow=follow)
        try:
            return os.stat(target) if follow else os.lstat(target)
        except OSError as exc:
            raise HostError(f"cannot stat {p}: {exc.strerror}") from exc

    def size(self, p: str) -> Optional[int]:
        """Size in bytes of file ``p`` (following symlinks), None if missing."""
        try:
            st = self.stat(p)
        except HostError:
            return None
        return st.st_size if stat_mod.S_ISREG(st.st_mode) else None

    def free_bytes(self, p: str) -> Optional[int]:
        """Free bytes on the filesystem holding ``p`` (or its nearest existing parent), as ``df`` shows them.

        That is ``f_bavail``, not ``f_bfree``: the blocks ext4 reserves for root
        are left for the system that has to boot after the dump, and an admin
        compares the number with ``df``'s Avail.
        """
        probe = PurePosixPath(p)
        while True:
            real = self.path(str(probe))
            if real.exists():
                try:
                    st = os.statvfs(real)
                except OSError:
                    return None
                return st.f_bavail * st.f_frsize
            if probe == probe.parent:
                return None
            probe = probe.parent

    # -- commands ------------------------------------------------------------

    def which(self, name: str, dirs: Sequence[str] = ("/usr/sbin", "/usr/bin", "/sbin", "/bin")) -> Optional[str]:
        """The absolute path (inside the root) of program ``name``, or None."""
        for d in dirs:
            candidate = f"{d}/{name}"
            real = self.path(candidate)
            if real.is_file() and os.access(real, os.X_OK):
                return candidate
        return None

    def command_argv(self, argv: Sequence[str]) -> Tuple[str, ...]:
        """``argv`` as it will really be executed (``chroot ROOT`` prefixed off ``/``)."""
        argv = tuple(argv)
        if not argv:
            raise HostError("internal error: empty command")
        if self.is_live:
            return argv
        return ("chroot", str(self.root)) + argv

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: Optional[float] = 600.0,
        env: Optional[Mapping[str, str]] = None,
        on_output: Optional[OutputCallback] = None,
        cancel: Optional[threading.Event] = None,
    ) -> CommandResult:
        """Run ``argv`` on this host (through ``chroot`` when the root is not ``/``)."""
        if isinstance(argv, (str, bytes)):
            # A string would pass the loop below one character at a time: a command
            # line is never split here, and never given to a shell.
            raise HostError(f"internal error: command {argv!r} is a string, not an argv list")
        for arg in argv:
            if not isinstance(arg, str) or "\0" in arg:
                raise HostError(f"internal error: bad argument {arg!r} in {list(argv)!r}")
        return self.runner.run(self.command_argv(argv), timeout=timeout, env=env, on_output=on_output, cancel=cancel)


def copy_tree(src: Path, dest: Path) -> None:
    """Copy a root tree keeping symlinks as links (used by ``--demo`` and tests)."""
    shutil.copytree(src, dest, symlinks=True, dirs_exist_ok=True)
