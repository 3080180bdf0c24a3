"""Mount an NFS export, look whether root can write there, unmount: one JSON line out.

Run by the target test (:mod:`.targetcheck`) as
``unshare --mount --propagation private python3 -m kdumpwiz.engine.nfsprobe SERVER:/EXPORT DIR``:
the mount lives in that private namespace only, so even a probe killed half-way
leaves the machine's mount table as it was. Nothing is written on the export:
writability is what ``access(2)`` says for root (which reports root squashing
only when the server maps root to an unprivileged uid, as it does by default).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import Any, Callable, Dict, List

#: Soft mount, short timeouts: a dead server must not hang the wizard.
MOUNT_OPTIONS = "soft,timeo=50,retrans=1,nolock"

Run = Callable[[List[str]], "subprocess.CompletedProcess[str]"]


def _run(argv: List[str]) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


def probe(spec: str, path: str, run: Run = _run) -> Dict[str, Any]:
    """Mount ``spec`` on a temporary directory, inspect ``path`` below it, unmount."""
    mnt = tempfile.mkdtemp(prefix="kdumpwiz-nfs-")
    out: Dict[str, Any] = {"mounted": False, "spec": spec, "options": MOUNT_OPTIONS}
    try:
        res = run(["mount", "-t", "nfs", "-o", MOUNT_OPTIONS, spec, mnt])
        if res.returncode != 0:
            out["error"] = (res.stderr or res.stdout).strip()[-300:] or f"mount exited {res.returncode}"
            return out
        out["mounted"] = True
        try:
            at = os.path.join(mnt, path.lstrip("/"))
            probe_at = at
            while not os.path.exists(probe_at) and probe_at != mnt:
                probe_at = os.path.dirname(probe_at)
            out["at"] = path if probe_at == at else "/" + os.path.relpath(probe_at, mnt).lstrip(".")
            st = os.statvfs(probe_at)
            out["free_bytes"] = st.f_bavail * st.f_frsize
            if st.f_flag & os.ST_RDONLY:
                out.update(writable=False, why="exported or mounted read-only")
            elif not os.path.isdir(probe_at):
                out.update(writable=False, why="not a directory")
            else:
                out["writable"] = os.access(probe_at, os.W_OK | os.X_OK)
                if not out["writable"]:
                    out["why"] = "permission denied for root (root_squash?)"
        finally:
            run(["umount", "-l", mnt])
    finally:
        try:
            os.rmdir(mnt)
        except OSError:
            pass
    return out


def main(argv: List[str]) -> int:
    """``SERVER:/EXPORT DIR`` -> one JSON line on stdout; exit 0 when the export mounted."""
    if len(argv) != 2:
        print(json.dumps({"mounted": False, "error": "usage: nfsprobe SERVER:/EXPORT DIR"}))
        return 2
    result = probe(argv[0], argv[1])
    print(json.dumps(result, sort_keys=True))
    return 0 if result.get("mounted") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
