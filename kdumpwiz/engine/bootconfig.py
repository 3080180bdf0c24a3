"""Reading the boot configuration as the boot loader will see it.

For every supported boot method this module answers one question: which kernel
command line will the *next* boot of the default entry get? Detection uses it to
report a pending reboot; the plan uses it to prove (before writing anything)
that its edit really makes the planned ``crashkernel=`` win.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from .editors import bls, grubenv, shellvars
from .errors import EditError, HostError
from .host import Host

GRUB_DEFAULT = "/etc/default/grub"
GRUB_D = "/etc/default/grub.d"
BLS_DIR = "/boot/loader/entries"
GRUBENV_PATHS = ("/boot/grub2/grubenv", "/boot/efi/EFI/redhat/grubenv")
KERNEL_CMDLINE = "/etc/kernel/cmdline"
CMDLINE_VARS = ("GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT")


def grub_debian_files(host: Host) -> List[str]:
    """``/etc/default/grub`` then ``grub.d/*.cfg`` in the byte order dash's glob gives."""
    files = [GRUB_DEFAULT] if host.exists(GRUB_DEFAULT) else []
    for name in host.listdir(GRUB_D):
        if name.endswith(".cfg") and host.exists(f"{GRUB_D}/{name}"):
            files.append(f"{GRUB_D}/{name}")
    return files


def read_texts(host: Host, paths: Sequence[str]) -> List[Tuple[str, str]]:
    """(path, text) pairs for ``paths``, as the shell-variable evaluator takes them."""
    return [(p, host.read_text(p)) for p in paths]


def grub_vars(texts: Sequence[Tuple[str, str]]) -> Dict[str, str]:
    """The effective GRUB_CMDLINE_LINUX(_DEFAULT) after sourcing ``texts`` in order."""
    return shellvars.evaluate(texts, CMDLINE_VARS)


def grub_linux_cmdline(values: Dict[str, str]) -> str:
    """What grub's ``10_linux`` puts on a normal entry's ``linux`` line.

    ``GRUB_CMDLINE_LINUX`` first, then ``GRUB_CMDLINE_LINUX_DEFAULT``, so tokens
    of the latter come last and win for ``crashkernel=``.
    """
    return " ".join(
        v for v in (values.get("GRUB_CMDLINE_LINUX", ""), values.get("GRUB_CMDLINE_LINUX_DEFAULT", "")) if v
    )


@dataclass(frozen=True)
class BlsEntry:
    """One BLS entry file and what it boots."""

    path: str
    text: str
    version: str
    linux: str
    options: str
    is_rescue: bool

    @property
    def uses_kernelopts(self) -> bool:
        """True for RHEL 8 style entries whose options come from grubenv."""
        return bls.uses_kernelopts(self.text)


def bls_entries(host: Host) -> List[BlsEntry]:
    """Every ``/boot/loader/entries/*.conf``, sorted by file name."""
    out = []
    for name in host.listdir(BLS_DIR):
        if not name.endswith(".conf"):
            continue
        path = f"{BLS_DIR}/{name}"
        text = host.read_text(path)
        keys = _first_values(text, path)
        version = keys.get("version", "")
        out.append(
            BlsEntry(
                path=path,
                text=text,
                version=version,
                linux=keys.get("linux", ""),
                options=keys.get("options", ""),
                is_rescue="rescue" in name or "rescue" in version,
            )
        )
    return out


#: Parsed keys by (path, content): detect and plan read the same entries several
#: times (bench/speed); the content is the key, so an edited file is parsed anew.
_PARSED: Dict[Tuple[str, str], Dict[str, str]] = {}


def _first_values(text: str, path: str) -> Dict[str, str]:
    key = (path, text)
    found = _PARSED.get(key)
    if found is None:
        found = bls.first_values(text, path)  # raises EditError for an ambiguous entry: never cached
        if len(_PARSED) > 4096:
            _PARSED.clear()
        _PARSED[key] = found
    return dict(found)


def default_bls_entry(entries: Sequence[BlsEntry], release: str) -> Optional[BlsEntry]:
    """The entry of the running kernel (what a reboot boots by default), else the first non-rescue one."""
    for e in entries:
        if not e.is_rescue and (e.version == release or e.linux.endswith(f"-{release}")):
            return e
    normal = [e for e in entries if not e.is_rescue]
    return normal[0] if normal else None


def grubenv_path(host: Host) -> Optional[str]:
    """The grubenv file the RHEL family uses, if any."""
    for p in GRUBENV_PATHS:
        if host.is_file(p):
            return p
    return None


def grubenv_vars(host: Host) -> Dict[str, str]:
    """Variables of grubenv (empty when there is none or it is malformed)."""
    p = grubenv_path(host)
    if not p:
        return {}
    try:
        return grubenv.parse(host.read_bytes(p), path=p)
    except (EditError, HostError):
        return {}


def expand_bls_options(options: str, env: Dict[str, str]) -> str:
    """Expand ``$name``/``${name}`` in BLS options from grubenv, as grub's blscfg does."""
    words = []
    for word in options.split():
        if word.startswith("$"):
            name = word[1:].strip("{}")
            value = env.get(name, "")
            if value:
                words.append(value)
        else:
            words.append(word)
    return " ".join(words)


def configured_cmdline(host: Host, method: str, release: str) -> Tuple[Optional[str], str]:
    """(command line the next boot gets, detail) for ``method``; None when unknown."""
    try:
        if method == "grub-debian":
            values = grub_vars(read_texts(host, grub_debian_files(host)))
            return grub_linux_cmdline(values), "from /etc/default/grub and grub.d/*.cfg"
        if method == "grub-suse":
            values = grub_vars(read_texts(host, [GRUB_DEFAULT]))
            return grub_linux_cmdline(values), "from /etc/default/grub"
        if method in ("grub-bls", "grubenv-kernelopts", "zipl-bls"):
            entry = default_bls_entry(bls_entries(host), release)
            if entry is None:
                return None, "no BLS entry found in /boot/loader/entries"
            return expand_bls_options(entry.options, grubenv_vars(host)), f"from {entry.path}"
        if method == "systemd-boot" and host.is_file(KERNEL_CMDLINE):
            return host.read_text(KERNEL_CMDLINE).strip(), f"from {KERNEL_CMDLINE}"
    except (EditError, HostError) as exc:
        return None, str(exc)
    return None, f"boot method {method} is not read by kdumpwiz"
