"""How much memory to reserve, and why.

Two figures, the larger wins:

* the **baseline**: what this distribution's own tooling would reserve on this
  machine (its default ``crashkernel=`` evaluated with the kernel's rules on the
  RAM the kernel counts), and
* the **estimate**: what the capture kernel really needs here.  On Debian
  x86_64 it is the model calibrated on real captures (docs/sizing-data.md):
  the kernel's bzImage ``init_size`` + the kdump initrd packed and unpacked +
  the capture kernel's runtime, each constant citing the measured rows.
  Elsewhere (no bzImage header, other families' capture designs, other
  architectures) it is the older file-size model, which no measurement backs.

Within the measured envelope (Debian 12/13, x86_64, RAM up to the largest
measured guest) the estimate is trusted even below kdump-tools' default, and
the reasons say so; outside it the larger of the two wins.

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
from .sizing_data import MEASURED, MeasuredShape

#: The system must keep at least this much RAM for itself after the reservation.
MIN_REMAINING = 512 * MIB
#: ... and the reservation may not take more than this share of RAM.
MAX_SHARE = 0.5
#: Goal of the measured model: smallest that captured <= suggestion <= BAND x that.
BAND = 1.3
#: Reservations are rounded up to this (x86 aligns the area to 16 MiB anyway).
ROUND_TO = 16 * MIB
#: File-size model (no bzImage header, or not Debian): capture-kernel runtime
#: (its own allocations, udev, makedumpfile, page tables).  Not measured.
RUNTIME_BASE = 64 * MIB
#: File-size model: headroom on the sum of the parts.
SAFETY = 0.10

# -- the measured model (Debian x86_64; docs/sizing-data.md, rows by shape key) --
#: What the capture kernel needs besides its image and its initrd at its peak,
#: which is while it unpacks the initramfs (every failed capture in the data is
#: an OOM a few seconds into the capture kernel): page tables, slab, the struct
#: pages of the reservation.  Each row bounds it as R = reservation - (init_size
#: + packed + unpacked), docs/sizing-data.md lists them: bookworm:1024:2:most:31
#: (219.0 MiB) fails at 240M and captures at 256M, so 21.0 < R <= 37.0;
#: bookworm:2048:2:dep:31 (86.8 MiB) failed at 112M where the 1, 4 and 8 GiB
#: guests captured, so R > 25.2 there; trixie:1024:2:most:31 gives R <= 22.5.
#: The rows disagree by a few MiB (R varies from boot to boot), so the model
#: takes 28 MiB, above the largest lower bound.
MEASURED_RUNTIME = 28 * MIB
# No term for the crashed system's RAM: makedumpfile's bitmaps and the memory map
# grow with it, but not measurably here (bookworm:1024:2:dep:31 and
# bookworm:8192:2:dep:31 both need 112M; the peak is the initramfs unpack, before
# makedumpfile runs).
#: Headroom on the sum: the smallest capturing size is only known to 16 MiB, and
#: the runtime term is an upper bound from a handful of rows.
MEASURED_SAFETY = 0.10
#: Unpacked / packed size of a kdump initrd when kdump-tools did not record it
#: (kdump-tools < 1:1.10, or a record older than the initrd).  Measured on zstd
#: initrds: 17.1 / 6.2 MiB = 2.8 (bookworm dep), 126.2 / 29.2 MiB = 4.3
#: (bookworm most: Debian 12's modules are not compressed), 35.0 / 10.8 = 3.2
#: (trixie dep), 62.2 / 35.4 = 1.8 (trixie most: its modules are .ko.xz).  The
#: packed size cannot tell them apart, so the largest, rounded up, is used:
#: bookworm:1024:2:most:31 failed at 240M with the 3.2 this constant had before.
UNPACK_RATIO = 4.5
#: ... unless kdump-tools' copy of the initramfs configuration says the initrd
#: holds only the modules this machine needs (dep, list, netboot): then the dep
#: initrds' ratio, the larger of 2.8 (bookworm) and 3.2 (trixie).
UNPACK_RATIO_DEP = 3.2

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
    #: "measured" (calibrated on real captures) or "file-size" (not measured).
    model: str = "file-size"
    #: The measured shape this machine matches, if any.
    measured: Optional[MeasuredShape] = None
    #: Smallest reservation that can even load the capture kernel (x86 bzImage), else None.
    min_loadable_bytes: Optional[int] = None
    #: The machine is inside the measured envelope: the estimate is trusted below the default.
    trusted_below_default: bool = False

    def to_dict(self) -> Dict[str, Any]:
        """JSON form."""
        return {
            "value": self.value,
            "reserved_bytes": self.reserved_bytes,
            "baseline": {"value": self.baseline_value, "bytes": self.baseline_bytes, "source": self.baseline_source},
            "estimate": {"bytes": self.estimate_bytes, "model": self.model,
                         "parts": [{"what": w, "bytes": b, "mib": round(b / MIB, 1)} for w, b in self.estimate_parts]},
            "measured": self.measured.to_dict() if self.measured else None,
            "min_loadable_bytes": self.min_loadable_bytes,
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


def min_loadable(facts: Facts) -> Optional[int]:
    """The smallest reservation into which kexec can load the capture kernel, None if unknown.

    kexec needs one hole of the bzImage's ``init_size`` for the kernel, plus the
    packed initrd, boot parameters, purgatory and the ELF core header (about 1 MiB).
    Measured: Debian 12 (init_size 63.6 MiB, initrd 6.2 MiB) and Debian 13
    (55.9 + 10.8 MiB) load at 80M and fail at 64M (docs/sizing-data.csv, min_loads_mib).
    """
    k = facts.kernel
    if not k.init_size or facts.arch != "x86_64":
        return None
    initrd = k.kdump_initrd_bytes or k.initrd_bytes or 0
    return k.init_size + initrd + MIB


def in_measured_envelope(host: Host, facts: Facts) -> bool:
    """True where the measured model applies: machines like the ones the sweep ran."""
    if not (uses_measured_model(facts) and facts.distro.id == "debian" and facts.page_size == 4096
            and not facts.dump.luks):
        return False
    majors = {m.distro_major for m in MEASURED}
    largest = max((m.ram_mib for m in MEASURED), default=0) * MIB
    if facts.distro.major not in majors or facts.memory.rounded_bytes > largest:
        return False
    return profile("debian").capture_cpus(host, facts) == 1


def measured_match(facts: Facts) -> Optional[MeasuredShape]:
    """The measured shape this machine is: same Debian release and kernel size, RAM, kdump initrd, dump level 31.

    The kernel's ``init_size`` within 2 %, the packed kdump initrd within 25 %
    and the RAM as the kernel counts it (rounded to 128 MiB) equal to the guest's;
    CPUs do not matter (the capture kernel runs with nr_cpus=1, and the data is
    flat in vCPUs), the nearest count wins.
    """
    k = facts.kernel
    if not k.init_size or not k.kdump_initrd_bytes:
        return None
    found = [m for m in MEASURED
             if m.distro_id == facts.distro.id and m.distro_major == facts.distro.major and m.dump_level == 31
             and abs(m.init_size - k.init_size) <= 0.02 * m.init_size
             and abs(m.kdump_initrd_bytes - k.kdump_initrd_bytes) <= 0.25 * m.kdump_initrd_bytes
             and m.ram_mib * MIB == facts.memory.rounded_bytes]
    if not found:
        return None
    return min(found, key=lambda m: (abs(m.vcpus - facts.cpus), -m.min_captures_bytes))


def _estimate_measured(host: Host, facts: Facts) -> Tuple[int, List[Tuple[str, int]], List[str]]:
    k = facts.kernel
    assert k.init_size
    # Short labels: they are the rows of the Memory step's table (the files are in `detect`).
    parts: List[Tuple[str, int]] = [("kernel init_size (kexec needs it in one piece)", k.init_size)]
    remarks: List[str] = []
    packed = k.kdump_initrd_bytes or k.initrd_bytes or 0
    name = "kdump initrd" if k.kdump_initrd_bytes else "system initrd"
    if not packed:
        packed = 32 * MIB
        name = "initrd (not found: 32 MiB assumed)"
        remarks.append("no kdump initrd was found; a typical size was assumed")
    elif not k.kdump_initrd_bytes:
        remarks.append("the kdump initrd does not exist yet (kdump-tools builds it at its first start), so the "
                       "system initrd's size was used (an upper bound)")
    parts.append((f"{name}, packed", packed))
    if k.kdump_initrd_unpacked_bytes and k.kdump_initrd_bytes:
        parts.append((f"{name}, unpacked (kdump-tools' record)", k.kdump_initrd_unpacked_bytes))
    elif k.kdump_initrd_bytes and k.kdump_initrd_modules in ("dep", "list", "netboot"):
        parts.append((f"{name}, unpacked (x{UNPACK_RATIO_DEP:g}, MODULES={k.kdump_initrd_modules})",
                      int(UNPACK_RATIO_DEP * packed)))
    else:
        parts.append((f"{name}, unpacked (x{UNPACK_RATIO:g} packed)", int(UNPACK_RATIO * packed)))
    parts.append(("capture-kernel runtime (measured peak)", MEASURED_RUNTIME))
    _cma_part(host, facts, parts, remarks)
    cpus = profile("debian").capture_cpus(host, facts)
    if cpus > 1:
        parts.append((f"{cpus} capture-kernel CPUs (1 MiB each)", cpus * MIB))
    if facts.dump.luks:
        parts.append(("unlocking a LUKS dump volume", 20 * MIB))
        remarks.append("the dump target is LUKS-encrypted: an Argon2 key slot can need far more memory; "
                       "prefer a PBKDF2 key slot or a remote target")
    subtotal = sum(b for _, b in parts)
    margin = int(subtotal * MEASURED_SAFETY)
    parts.append((f"safety margin ({int(MEASURED_SAFETY * 100)} %)", margin))
    return _round_up(subtotal + margin, ROUND_TO), parts, remarks


def capture_cma(host: Host, facts: Facts) -> Tuple[int, str]:
    """The CMA area the capture kernel sets aside inside the reservation, and where the size comes from.

    The capture kernel is the same kernel: its build default (``CONFIG_CMA_SIZE_MBYTES``,
    64 MiB on Debian's arm64 kernels) applies unless its command line -- the running one,
    which kdump services pass on, then the service's append variable -- says ``cma=``
    (the last one wins; RHEL's arm64 append has ``cma=0``).
    """
    family = profile(facts.family) if facts.family else None
    append = family.capture_append(host, facts) if family is not None else ""
    words = (facts.kexec.running_cmdline or "").split() + append.split()
    given = [w[len("cma="):] for w in words if w.startswith("cma=")]
    if given:
        try:
            size, rest = crashkernel.memparse(given[-1])
        except ValueError:
            size, rest = 0, "bad"
        # cma=size[@start[-end]]: only the size counts here; a value the kernel cannot parse leaves the default.
        if not rest or rest.startswith("@"):
            return size, f"cma={given[-1]} on the capture kernel's command line"
    default = facts.kernel.cma_default_bytes
    return default, f"the kernel's CONFIG_CMA_SIZE_MBYTES={default // MIB} (no cma= for the capture kernel)"


def _cma_part(host: Host, facts: Facts, parts: List[Tuple[str, int]], remarks: List[str]) -> None:
    cma, why = capture_cma(host, facts)
    if cma > 0:
        parts.append(("CMA area the capture kernel sets aside", cma))
        remarks.append(f"the capture kernel keeps {mib(cma)} of the reservation as a CMA area ({why}); "
                       "'cma=0' in the kdump service's append variable gives it back")


def uses_measured_model(facts: Facts) -> bool:
    """True where the estimate is the model calibrated on captures: kdump-tools on x86_64 with a bzImage."""
    return bool(facts.family == "debian" and facts.kernel.init_size and facts.arch == "x86_64")


def estimate(host: Host, facts: Facts) -> Tuple[int, List[Tuple[str, int]], List[str]]:
    """(bytes, parts, remarks) of what the capture kernel needs on this machine."""
    if uses_measured_model(facts):
        return _estimate_measured(host, facts)
    parts: List[Tuple[str, int]] = []
    remarks: List[str] = []
    k = facts.kernel
    factor = capture_kernel_factor(facts.arch)
    if k.vmlinuz_bytes:
        parts.append((f"kernel, unpacked (x{factor} vmlinuz)", factor * k.vmlinuz_bytes))
    else:
        parts.append(("kernel (not found: typical size)", 64 * MIB))
        remarks.append("the kernel image was not found under /boot; a typical size was assumed")
    if k.kdump_initrd_bytes:
        parts.append(("kdump initrd in tmpfs (x3)", 3 * k.kdump_initrd_bytes))
    elif k.initrd_bytes:
        # No kdump initrd yet (it is built on the first kdump start); the
        # system initrd is larger, so it is a safe upper bound.
        parts.append(("system initrd in tmpfs (x3; no kdump initrd yet)", 3 * k.initrd_bytes))
        remarks.append("the kdump initrd does not exist yet, so the system initrd's size was used (an upper bound)")
    else:
        parts.append(("initrd (not found: typical size)", 96 * MIB))
    parts.append(("capture-kernel runtime", RUNTIME_BASE))
    _cma_part(host, facts, parts, remarks)
    cpus = profile(facts.family).capture_cpus(host, facts) if facts.family else 1
    if cpus > 1:
        parts.append((f"{cpus} capture-kernel CPUs (1 MiB each)", cpus * MIB))
    ram = facts.memory.system_ram_bytes
    if ram > 64 * GIB:
        # makedumpfile's bitmaps and the vmcore's ELF headers grow with RAM.
        parts.append(("page bitmaps (1 MiB per 16 GiB over 64 GiB)", _round_up(ram - 64 * GIB, 16 * GIB) // (16 * GIB) * MIB))
    if facts.page_size == 65536:
        parts.append(("64 KiB pages (page tables, slabs)", 100 * MIB))
    if facts.dump.luks:
        luks = (50 if facts.arch == "aarch64" else 20) * MIB
        parts.append(("unlocking a LUKS dump volume", luks))
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
    model = "measured" if uses_measured_model(facts) else "file-size"
    reasons.append(f"estimate for this machine: {mib(est)} (" + ", ".join(f"{w}: {mib(b)}" for w, b in parts) + ")"
                   + ("" if model == "measured" else "; this model is not backed by measurements"))
    reasons.extend(remarks)
    match = measured_match(facts)
    if match is not None:
        reasons.append(f"measured: on {match.describe()} the smallest crashkernel that captured a dump was "
                       f"{match.min_captures_bytes // MIB}M ({match.min_captures_bytes // MIB - 16}M did not; "
                       "docs/sizing-data.md)")
    envelope = in_measured_envelope(host, facts)
    own = bool(facts.family and baseline_bytes and baseline_value
               and crashkernel.spec_problem(baseline_value, facts.arch) is None
               and profile(facts.family).keeps_own_default(host, facts))
    if own and baseline_value:
        value, reserved = baseline_value, baseline_bytes
        reasons.append(f"{baseline_source}: kdumpwiz keeps it, since replacing it would only be undone at the next boot")
        if baseline_bytes < est:
            warnings.append(f"the distribution's calibrated {mib(baseline_bytes)} is below kdumpwiz's estimate of "
                            f"{mib(est)}; choose a size by hand if a test crash does not save a dump")
    elif envelope and baseline_bytes > est:
        value, reserved = crashkernel.format_size(est), est
        reasons.append(
            f"{value} is suggested, below the default's {mib(baseline_bytes)}: on Debian "
            f"{'/'.join(str(m) for m in sorted({x.distro_major for x in MEASURED}))} x86_64 guests with up to "
            f"{max(x.ram_mib for x in MEASURED) // 1024} GiB the measured model's estimate always captured "
            "(docs/sizing-data.md); type the default's value to keep it")
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
        model=model,
        measured=match,
        min_loadable_bytes=min_loadable(facts),
        trusted_below_default=envelope,
    )


def _max_safe(ram: int) -> int:
    """The largest reservation that leaves the system enough RAM."""
    return max(0, min(ram - MIN_REMAINING, int(ram * MAX_SHARE)))


def check_value(value: str, facts: Facts, suggestion: Optional[Suggestion] = None, *, force: bool = False) -> Checked:
    """Check a crashkernel value: accepted by the kernel, canonical, safe for this RAM, big enough to load.

    A reservation too small for kexec to even load the capture kernel is a
    problem unless ``force`` (a test that is meant to fail): then a warning.
    """
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
        elif (loadable := min_loadable(facts)) is not None and res.reserved_bytes < loadable:
            k = facts.kernel
            why = (f"{crashkernel.spec_cmdline(value)} reserves {mib(res.reserved_bytes)}, but the capture kernel "
                   f"cannot even be loaded into less than {mib(loadable)} (the kernel's init_size "
                   f"{mib(k.init_size or 0)} + the kdump initrd {mib(k.kdump_initrd_bytes or k.initrd_bytes or 0)}"
                   " + 1 MiB): kdump would not be armed")
            if force:
                warnings.append(why + " (forced)")
            else:
                problems.append(why)
                hint = (f"choose at least {crashkernel.format_size(_round_up(loadable, ROUND_TO))}, or force it "
                        "(answers: force_crashkernel: true) for a test that is meant to fail")
        if (not problems and suggestion is not None and res.reserved_bytes < suggestion.estimate_bytes):
            warnings.append(
                f"{crashkernel.spec_cmdline(value)} reserves {mib(res.reserved_bytes)}, less than the estimate of "
                f"{mib(suggestion.estimate_bytes)} for this machine: the capture kernel may run out of memory "
                "and no dump would be saved"
            )
    return Checked(value=value, reservation=res, problems=tuple(problems), warnings=tuple(warnings), hint=hint)
