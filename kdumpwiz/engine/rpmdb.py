"""Installed rpm packages of a root tree, read from its database without the rpm binary.

The RHEL family's default ``crashkernel=`` moved with the kexec-tools /
kdump-utils releases, so sizing needs the installed version. Asking ``rpm``
would not do: kdumpwiz may run on a machine without it (a Debian host preparing
an image), the host's rpm may be older than the tree's database, ``rpm --root``
takes locks and may write into the tree, and a chroot needs the tree's own
binaries to run on this CPU. The database is a plain sqlite file, so it is read
here, strictly read-only.

Only the sqlite backend is read: ``/usr/lib/sysimage/rpm/rpmdb.sqlite``
(Fedora >= 36, RHEL 10) and ``/var/lib/rpm/rpmdb.sqlite`` (RHEL 9, Fedora
33-35, Amazon Linux 2023). Berkeley DB (RHEL 7/8 ``/var/lib/rpm/Packages``)
and ndb (SUSE ``/usr/lib/sysimage/rpm/Packages.db``) are *not* read:
:func:`installed` returns ``{}`` for them, as it does for a missing, corrupt or
half-written database, and :func:`database_format` tells the caller which case
it is. ``{}`` therefore means "not known to be installed", never "known absent"
unless :func:`database_format` says ``"sqlite"``.

:func:`vercmp` and :func:`evr_cmp` are rpm's own ordering (``rpmvercmp`` and
``rpmverCmp`` of rpm 4.18), because "newer than 2.0.26-8.el9" must mean what
it means to rpm and dnf, tildes and carets included.
"""

from __future__ import annotations

import sqlite3
import struct
import urllib.parse
from contextlib import closing
from dataclasses import dataclass
from typing import Dict, Iterable, Optional, Tuple

from .errors import HostError
from .host import Host

#: Where rpm >= 4.16 keeps its sqlite database, in the order rpm's own
#: ``%_dbpath`` moved: Fedora 36 made /var/lib/rpm a symlink to the first.
SQLITE_PATHS = ("/usr/lib/sysimage/rpm/rpmdb.sqlite", "/var/lib/rpm/rpmdb.sqlite")

#: Databases of the other backends: recognised so a caller can say why the
#: version is unknown, but never parsed.
OTHER_DATABASES = (
    ("/usr/lib/sysimage/rpm/Packages.db", "ndb"),
    ("/var/lib/rpm/Packages.db", "ndb"),
    ("/usr/lib/sysimage/rpm/Packages", "bdb"),
    ("/var/lib/rpm/Packages", "bdb"),
)

TAG_NAME = 1000
TAG_VERSION = 1001
TAG_RELEASE = 1002
TAG_EPOCH = 1003
TAG_ARCH = 1022
TYPE_INT32 = 4
TYPE_STRING = 6

# rpm's own sanity limits (header_internal.h HEADER_TAGS_MAX / HEADER_DATA_MAX):
# a header beyond them is one rpm itself refuses, so it is not read here either.
_MAX_TAGS = 0x0000FFFF
_MAX_DATA = 0x0FFFFFFF
_WANTED = frozenset((TAG_NAME, TAG_VERSION, TAG_RELEASE, TAG_EPOCH, TAG_ARCH))

#: (epoch, version, release) as rpm orders them; a None epoch is 0.
EVR = Tuple[Optional[int], str, Optional[str]]


@dataclass(frozen=True)
class RpmPackage:
    """One installed package as its rpm header names it."""

    name: str
    epoch: Optional[int]
    version: str
    release: str
    arch: str

    @property
    def evr(self) -> EVR:
        """``(epoch, version, release)`` for :func:`evr_cmp`."""
        return (self.epoch, self.version, self.release)

    @property
    def nevra(self) -> str:
        """``name-[epoch:]version-release.arch`` as dnf prints it (epoch only when set)."""
        epoch = f"{self.epoch}:" if self.epoch is not None else ""
        arch = f".{self.arch}" if self.arch else ""
        return f"{self.name}-{epoch}{self.version}-{self.release}{arch}"


# -- version ordering ---------------------------------------------------------------


def _isdigit(c: str) -> bool:
    # rpm's risdigit/risalpha are ASCII-only; str.isdigit() would take "²" or "٣".
    return "0" <= c <= "9"


def _isalpha(c: str) -> bool:
    return "a" <= c <= "z" or "A" <= c <= "Z"


def vercmp(a: str, b: str) -> int:
    """Compare two version (or release) strings as rpm does: -1, 0 or 1.

    A transcription of ``rpmvercmp`` (rpm 4.18 ``rpmio/rpmvercmp.c``), quirks
    kept, because plain string or tuple comparison gets the everyday cases
    wrong: ``el9_10`` is newer than ``el9_4``, ``1.0~rc1`` older than ``1.0``,
    ``1.0^git1`` newer than ``1.0``, ``1.01`` equal to ``1.1``, a digit segment
    newer than a letter segment, and separators (anything not alphanumeric,
    ``~`` or ``^``) only delimit segments (``1.0`` equals ``1_0``).
    """
    if a == b:
        return 0
    i, j, n, m = 0, 0, len(a), len(b)
    while i < n or j < m:
        while i < n and not (_isdigit(a[i]) or _isalpha(a[i]) or a[i] in "~^"):
            i += 1
        while j < m and not (_isdigit(b[j]) or _isalpha(b[j]) or b[j] in "~^"):
            j += 1
        ca = a[i] if i < n else ""
        cb = b[j] if j < m else ""
        # A tilde sorts before everything, even the end of the string (pre-releases).
        if ca == "~" or cb == "~":
            if ca != "~":
                return 1
            if cb != "~":
                return -1
            i, j = i + 1, j + 1
            continue
        # A caret sorts after the end of the string (snapshots after a release)
        # but before any other segment.
        if ca == "^" or cb == "^":
            if not ca:
                return -1
            if not cb:
                return 1
            if ca != "^":
                return 1
            if cb != "^":
                return -1
            i, j = i + 1, j + 1
            continue
        if not (ca and cb):
            break
        isnum = _isdigit(ca)
        test = _isdigit if isnum else _isalpha
        ei, ej = i, j
        while ei < n and test(a[ei]):
            ei += 1
        while ej < m and test(b[ej]):
            ej += 1
        seg_a, seg_b = a[i:ei], b[j:ej]
        if not seg_b:
            # Segments of different kinds: digits are newer than letters.
            return 1 if isnum else -1
        if isnum:
            seg_a, seg_b = seg_a.lstrip("0"), seg_b.lstrip("0")
            if len(seg_a) != len(seg_b):
                return 1 if len(seg_a) > len(seg_b) else -1
        if seg_a != seg_b:
            return 1 if seg_a > seg_b else -1
        i, j = ei, ej
    if i >= n and j >= m:
        return 0
    return -1 if i >= n else 1


def evr_cmp(a: EVR, b: EVR) -> int:
    """Compare ``(epoch, version, release)`` triples as rpm does: -1, 0 or 1.

    rpm's ``rpmverCmp`` (``lib/rpmver.c``, behind Lua's ``rpm.vercmp`` and
    ``rpm.ver``): a missing epoch is 0, the epoch outweighs the version, the
    version the release, and a missing (None or empty) release is older than
    any release, so ``(None, "2.0.26", None)`` works as "2.0.26, any release"
    in a ``>=`` test. (rpm alone tells None from ``""``; no package has an
    empty release, rpmbuild refuses one.)
    """
    ea, eb = a[0] or 0, b[0] or 0
    if ea != eb:
        return 1 if ea > eb else -1
    rc = vercmp(a[1], b[1])
    if rc:
        return rc
    return vercmp(a[2] or "", b[2] or "")


# -- the database ---------------------------------------------------------------


def _sqlite_path(host: Host) -> Optional[str]:
    for p in SQLITE_PATHS:
        if host.is_file(p):
            return p
    return None


def database_format(host: Host) -> Optional[str]:
    """Which rpm database the tree has: ``"sqlite"``, ``"bdb"``, ``"ndb"`` or None.

    Only ``"sqlite"`` is read by :func:`installed`; the others explain an empty
    answer ("RHEL 8's Berkeley DB is not read") instead of "not installed".
    """
    if _sqlite_path(host):
        return "sqlite"
    for p, kind in OTHER_DATABASES:
        if host.is_file(p):
            return kind
    return None


def _string(data: bytes, offset: int) -> Optional[str]:
    if not 0 <= offset < len(data):
        return None
    end = data.find(b"\0", offset)
    if end < 0:
        return None
    try:
        return data[offset:end].decode("utf-8")
    except UnicodeDecodeError:
        return None


def parse_header(blob: object) -> Optional[RpmPackage]:
    """The package a database header blob describes, or None if the blob is malformed.

    The blob is an rpm header without its 8-byte magic (as rpm >= 4.16 stores
    it): ``il`` and ``dl`` (big-endian int32), ``il`` index entries of (tag,
    type, offset, count), then ``dl`` bytes of data. Every size and offset is
    checked against the blob before use, so a damaged row costs that row only
    (anything but ``bytes``, as a damaged database may hold, is no header).
    """
    if not isinstance(blob, bytes) or len(blob) < 8:
        return None
    il, dl = struct.unpack_from(">II", blob, 0)
    if not 0 < il <= _MAX_TAGS or dl > _MAX_DATA:
        return None
    start = 8 + 16 * il
    if start + dl > len(blob):
        return None
    data = blob[start:start + dl]
    found: Dict[int, Tuple[int, int, int]] = {}
    for tag, typ, offset, count in struct.iter_unpack(">IIII", blob[8:start]):
        if tag in _WANTED:
            # A later entry wins: rpm lets the entries outside the immutable
            # region (the "dribble") replace the region's copies of a tag.
            found[tag] = (typ, offset, count)
    strings: Dict[int, str] = {}
    for tag in (TAG_NAME, TAG_VERSION, TAG_RELEASE, TAG_ARCH):
        entry = found.get(tag)
        if entry is None:
            continue
        typ, offset, _count = entry
        value = _string(data, offset) if typ == TYPE_STRING else None
        if value is None:
            return None
        strings[tag] = value
    if not all(strings.get(t) for t in (TAG_NAME, TAG_VERSION, TAG_RELEASE)):
        return None
    epoch: Optional[int] = None
    if TAG_EPOCH in found:
        typ, offset, count = found[TAG_EPOCH]
        if typ != TYPE_INT32 or count < 1 or not 0 <= offset <= dl - 4:
            return None
        (epoch,) = struct.unpack_from(">I", data, offset)
    return RpmPackage(strings[TAG_NAME], epoch, strings[TAG_VERSION], strings[TAG_RELEASE],
                      strings.get(TAG_ARCH, ""))


def installed(host: Host, names: Iterable[str]) -> Dict[str, RpmPackage]:
    """The installed packages among ``names`` (the newest of each), from the tree's sqlite rpmdb.

    Never raises and never writes: the file is opened ``mode=ro&immutable=1``,
    so sqlite takes no lock and creates no ``-wal``/``-shm`` beside it (an
    image or another machine's tree must come back byte for byte). The price of
    ``immutable`` is that sqlite ignores the write-ahead log, so a database whose
    ``-wal`` still holds transactions (rpm killed mid-transaction, or running
    right now; rpm truncates it on a clean close) is not trusted: ``{}``, as for
    a missing, corrupt or non-sqlite database. Malformed rows are skipped.
    Of several installed versions of a name (kernels, a failed upgrade) the
    newest by :func:`evr_cmp` is returned; equal ones keep the first installed.
    """
    wanted = {names} if isinstance(names, str) else set(names)
    out: Dict[str, RpmPackage] = {}
    try:
        path = _sqlite_path(host)
        if path is None or not wanted:
            return out
        real = host.path(path)
        wal = host.path(path + "-wal")
        if wal.is_file() and wal.stat().st_size > 0:
            return out
        uri = "file:" + urllib.parse.quote(str(real), safe="/") + "?mode=ro&immutable=1"
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            for (blob,) in conn.execute("SELECT blob FROM Packages ORDER BY hnum"):
                pkg = parse_header(blob)
                if pkg is None or pkg.name not in wanted:
                    continue
                have = out.get(pkg.name)
                if have is None or evr_cmp(pkg.evr, have.evr) > 0:
                    out[pkg.name] = pkg
    except (sqlite3.Error, OSError, HostError, struct.error, ValueError, MemoryError):
        return {}
    return out
