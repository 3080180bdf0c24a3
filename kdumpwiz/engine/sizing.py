"""How much memory to reserve, and why.

Two figures, the larger wins:

* the **baseline**: what this distribution's own tooling would reserve on this
  machine (its default ``crashkernel=`` evaluated with the kernel's rules on the
  RAM the kernel counts), and
* the **estimate**: what the capture kernel really needs here, from the sizes of
  the kernel and kdump initrd on disk, the CPUs the capture kernel brings up,
  LUKS and 64 KiB pages (a kdumpctl-estimate-like model, calibrated on the QEMU
  measurements in docs/).

The suggestion is always a value the kernel accepts and that leaves enough RAM
for the system itself; each step leaves a human-readable reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from . import crashkernel
from .crashkernel import GIB, MIB, Reservation
from .facts import Facts
from .host import Host
from .profiles import profile
from .profiles.redhat import RHEL8_AUTO

#: The system must keep at least this much RAM for itself after the reservation.
MIN_REMAINING = 512 * MIB
#: ... and the reservation may not take more than this share of RAM.
MAX_SHARE = 0.5
#: Reservations are rounded up to this (x86 aligns the area to 16 MiB anyway).
ROUND_TO = 16 * MIB
#: Capture-kernel runtime: its own allocations, udev, makedumpfile, page tables.
RUNTIME_BASE = 64 * MIB
#: Headroom on the sum of the parts (the parts are measurements of compressed files).
SAFETY = 0.10

def _round_up(value: int, unit: int) -> int:
    return -(-value // unit) * unit


def mib(n: int) -> str:
    """Bytes as a short human string (``320 MiB``, ``1.5 GiB``)."""
    if n >= GIB and n % (GIB // 2) == 0:
        return f"{n / GIB:g} GiB"
    return f"{n / MIB:.0f} MiB" if n % MIB == 0 else f"{n / MIB:.1f} MiB"


def kernel_reservation(cmdline: str, facts: Facts) -> Reservation:
    """What the running kernel's kind would reserve for ``cmdline`` on this machine.

    Like :func:`crashkernel.evaluate`, except that RHEL 8 kernels understand
    ``crashkernel=auto`` with their built-in table.
    """
    ram = facts.memory.system_ram_bytes or 1
    res = crashkernel.evaluate(cmdline, ram, facts.arch)
    if res.token == "auto" and ".el8" in facts.kernel.release and facts.arch in RHEL8_AUTO:
        table = crashkernel.evaluate_value(RHEL8_AUTO[facts.arch], ram, facts.arch)
        return Reservation(
            found=True, token="auto", reserved_bytes=table.reserved_bytes, low_bytes=0, cma_bytes=0,
            offset=None, high=False, error=table.error,
        )
    return res


@dataclass(frozen=True)
class Suggestion:
    """The suggested value with the figures and sentences that led to it."""

    value: str
    reserved_bytes: int
    baseline_value: Optional[str]
    baseline_bytes: int
    baseline_source: str
    estimate_bytes: int
    estimate_parts: Tuple[Tuple[str, int], ...]
    reasons: Tuple[str, ...]
    warnings: Tuple[str, ...] = ()

    def to_dict(self) -> Dict[str, Any]:
        """JSON form."""
        return {
            "value": self.value,
            "reserved_bytes": self.reserved_bytes,
            "baseline": {"value": self.baseline_value, "bytes": self.baseline_bytes, "source": self.baseline_source},
            "estimate": {"bytes": self.estimate_bytes, "parts": [{"what": w, "bytes": b} for w, b in self.estimate_parts]},
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class Checked:
    """A value checked against the kernel's rules and this machine's RAM."""

    value: str
    reservation: Reservation
    problems: Tuple[str, ...]
    warnings: Tuple[str, ...]
    hint: Optional[str] = None

    @property
    def ok(self) -> bool:
        """True when the value may be written."""
        return not self.problems

    def to_dict(self) -> Dict[str, Any]:
        """JSON form."""
        return {
            "value": self.value,
            "ok": self.ok,
            "reservation": self.reservation.to_dict(),
            "problems": list(self.problems),
            "warnings": list(self.warnings),
        }


def capture_kernel_factor(arch: str) -> int:
    """How much bigger the running kernel is than its file (Debian's estimator's F)."""
    return {"x86_64": 6, "s390x": 6, "ppc64le": 2}.get(arch, 4)


def estimate(host: Host, facts: Facts) -> Tuple[int, List[Tuple[str, int]], List[str]]:
    """(bytes, parts, remarks) of what the capture kernel needs on this machine."""
    parts: List[Tuple[str, int]] = []
    remarks: List[str] = []
    k = facts.kernel
    factor = capture_kernel_factor(facts.arch)
    if k.vmlinuz_bytes:
        parts.append((f"kernel {k.vmlinuz} unpacked (x{factor})", factor * k.vmlinuz_bytes))
    else:
        parts.append(("kernel (file not found; typical size assumed)", 64 * MIB))
        remarks.append("the kernel image was not found under /boot; a typical size was assumed")
    if k.kdump_initrd_bytes:
        parts.append((f"kdump initrd {k.kdump_initrd} unpacked in tmpfs (x3)", 3 * k.kdump_initrd_bytes))
    elif k.initrd_bytes:
        # No kdump initrd yet (it is built on the first kdump start); the
        # system initrd is larger, so it is a safe upper bound.
        parts.append((f"initrd {k.initrd} unpacked in tmpfs (x3; kdump initrd not built yet)", 3 * k.initrd_bytes))
        remarks.append("the kdump initrd does not exist yet, so the system initrd's size was used (an upper bound)")
    else:
        parts.append(("initrd (file not found; typical size assumed)", 96 * MIB))
    parts.append(("capture-kernel runtime (kernel allocations, udev, makedumpfile)", RUNTIME_BASE))
    cpus = profile(facts.family).capture_cpus(host, facts) if facts.family else 1
    if cpus > 1:
        parts.append((f"{cpus} CPUs brought up in the capture kernel (1 MiB each)", cpus * MIB))
    ram = facts.memory.system_ram_bytes
    if ram > 64 * GIB:
        # makedumpfile's bitmaps and the vmcore's ELF headers grow with RAM.
        parts.append(("page bitmaps for large RAM (1 MiB per 16 GiB over 64 GiB)", _round_up(ram - 64 * GIB, 16 * GIB) // (16 * GIB) * MIB))
    if facts.page_size == 65536:
        parts.append(("64 KiB page kernel (larger page tables and slabs)", 100 * MIB))
    if facts.dump.luks:
        luks = (50 if facts.arch == "aarch64" else 20) * MIB
        parts.append(("unlocking a LUKS dump volume (Argon2 may need more)", luks))
        remarks.append("the dump target is LUKS-encrypted: an Argon2 key slot can need far more memory; "
                       "prefer a PBKDF2 key slot or a remote target")
    subtotal = sum(b for _, b in parts)
    margin = int(subtotal * SAFETY)
    parts.append((f"safety margin ({int(SAFETY * 100)} %)", margin))
    return _round_up(subtotal + margin, ROUND_TO), parts, remarks


def suggest(host: Host, facts: Facts) -> Suggestion:
    """The crashkernel value kdumpwiz suggests for this machine, with reasons."""
    ram = facts.memory.system_ram_bytes
    reasons: List[str] = []
    warnings: List[str] = []
    baseline_value, baseline_source = (None, "no distribution default known")
    if facts.family:
        found = profile(facts.family).distro_default(host, facts)
        if found:
            baseline_value, baseline_source = found
    baseline_bytes = 0
    if baseline_value:
        res = kernel_reservation(crashkernel.spec_cmdline(baseline_value), facts)
        baseline_bytes = res.reserved_bytes
        if res.ok:
            reasons.append(
                f"{baseline_source} is crashkernel={baseline_value}: on {mib(facts.memory.rounded_bytes)} "
                f"(RAM as the kernel counts it, rounded up to 128 MiB) it reserves {mib(baseline_bytes)}"
            )
        else:
            why = res.error or "nothing"
            reasons.append(
                f"{baseline_source} is crashkernel={baseline_value}: it reserves NOTHING on this machine "
                f"({mib(facts.memory.rounded_bytes)} of RAM; the kernel says: {why})"
            )
            if baseline_value.split(",")[0].startswith("2G-") and ram < 2 * GIB:
                reasons.append("the distribution default reserves nothing below 2 GiB")
    est, parts, remarks = estimate(host, facts)
    reasons.append(f"estimate for this machine: {mib(est)} (" + ", ".join(f"{w}: {mib(b)}" for w, b in parts) + ")")
    reasons.extend(remarks)
    own = bool(facts.family and baseline_bytes and baseline_value
               and crashkernel.spec_problem(baseline_value, facts.arch) is None
               and profile(facts.family).keeps_own_default(host, facts))
    if own and baseline_value:
        value, reserved = baseline_value, baseline_bytes
        reasons.append(f"{baseline_source}: kdumpwiz keeps it, since replacing it would only be undone at the next boot")
        if baseline_bytes < est:
            warnings.append(f"the distribution's calibrated {mib(baseline_bytes)} is below kdumpwiz's estimate of "
                            f"{mib(est)}; choose a size by hand if a test crash does not save a dump")
    elif baseline_bytes >= est and baseline_value and crashkernel.spec_problem(baseline_value, facts.arch) is None:
        value, reserved = baseline_value, baseline_bytes
        reasons.append(f"the distribution default ({mib(baseline_bytes)}) covers the estimate, so it is kept as it is")
    else:
        size = max(est, _round_up(baseline_bytes, ROUND_TO))
        value = crashkernel.format_size(size)
        reserved = size
        if baseline_bytes and baseline_bytes < est:
            reasons.append(f"the estimate ({mib(est)}) is larger than the default's {mib(baseline_bytes)}, so {value} is suggested")
        elif baseline_bytes >= est:
            reasons.append(f"the default's {mib(baseline_bytes)} is used as a plain size ({value})")
        else:
            reasons.append(f"so {value} is suggested")
    limit = _max_safe(ram)
    if ram and reserved > limit:
        warnings.append(
            f"this machine has too little RAM for a safe kdump: about {mib(reserved)} would be needed, "
            f"but at most {mib(limit)} can be reserved while keeping {mib(MIN_REMAINING)} and half of RAM for the system"
        )
        value = crashkernel.format_size(max(limit // ROUND_TO * ROUND_TO, ROUND_TO))
        reserved = crashkernel.evaluate_value(value, ram, facts.arch).reserved_bytes
    return Suggestion(
        value=value,
        reserved_bytes=reserved,
        baseline_value=baseline_value,
        baseline_bytes=baseline_bytes,
        baseline_source=baseline_source,
        estimate_bytes=est,
        estimate_parts=tuple(parts),
        reasons=tuple(reasons),
        warnings=tuple(warnings),
    )


def _max_safe(ram: int) -> int:
    """The largest reservation that leaves the system enough RAM."""
    return max(0, min(ram - MIN_REMAINING, int(ram * MAX_SHARE)))


def check_value(value: str, facts: Facts, suggestion: Optional[Suggestion] = None) -> Checked:
    """Check a crashkernel value: accepted by the kernel, canonical, safe for this RAM."""
    ram = facts.memory.system_ram_bytes
    res = kernel_reservation(crashkernel.spec_cmdline(value), facts)
    problems: List[str] = []
    warnings: List[str] = []
    hint = None
    if not res.ok:
        problems.append(f"the kernel would reserve nothing: {res.error or 'no reservation'}")
        hint = "use a plain size such as 256M, or ranges whose first start is at most this machine's RAM"
    elif crashkernel.spec_problem(value, facts.arch) is not None:
        problems.append(f"not written by kdumpwiz: {crashkernel.spec_problem(value, facts.arch)}")
        hint = "use a plain size such as 256M or 1G, or start-end:size ranges"
    else:
        total = res.reserved_bytes + res.low_bytes + res.cma_bytes
        limit = _max_safe(ram)
        if total > limit:
            problems.append(
                f"reserving {mib(total)} of {mib(ram)} leaves the system too little memory "
                f"(at most {mib(limit)}: {mib(MIN_REMAINING)} and half of RAM must stay free)"
            )
            hint = f"choose at most {crashkernel.format_size(limit // ROUND_TO * ROUND_TO)}"
        elif suggestion is not None and res.reserved_bytes < suggestion.estimate_bytes:
            warnings.append(
                f"{crashkernel.spec_cmdline(value)} reserves {mib(res.reserved_bytes)}, less than the estimate of "
                f"{mib(suggestion.estimate_bytes)} for this machine: the capture kernel may run out of memory "
                "and no dump would be saved"
            )
    return Checked(value=value, reservation=res, problems=tuple(problems), warnings=tuple(warnings), hint=hint)
