"""A pure model of how the Linux kernel parses ``crashkernel=``.

Text in, reservation (or the kernel's own error) out; no I/O. The model follows
``kernel/crash_reserve.c`` (``get_last_crashkernel``, ``__parse_crashkernel``,
``parse_crashkernel`` and ``parse_crashkernel_mem/_simple/_suffix``),
``lib/cmdline.c`` ``memparse`` and the ``lib/kstrtox.c`` radix rules, including
their quirks, because kdumpwiz must predict what the *kernel* will do with a
value -- not what a reasonable parser would do:

* the token is found with ``strstr`` (``xcrashkernel=`` and anything after
  `` -- `` count) and ends at the next space only; the last one wins;
* numbers are C base-0 (``0512M`` is octal, 330 MiB) and wrap at 64 bits;
* range entries are matched against the RAM rounded *up* to 128 MiB, and any
  entry up to the match whose size is >= that rounded RAM rejects the value;
* several failures are silent (``-EINVAL`` without a message); those are
  reported here as ``"rejected silently: ..."`` so a user can be told why.

What the model does not know is the physical memory map: whether an area can
actually be allocated, a plain reservation that falls back above 4 GiB (and
then also takes the default low area), offset alignment. Those happen after
parsing, in ``reserve_crashkernel_generic`` and the arch code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30
TIB = 1 << 40

#: Arches whose arch code passes a ``high`` pointer to ``parse_crashkernel``,
#: so ``,high`` (with an optional ``,low``) is parsed when no plain token exists.
ARCHES_HIGH_LOW = {"x86_64", "aarch64", "riscv64", "loongarch64"}

#: Arches whose arch code passes a ``cma_size`` pointer, so ``,cma`` is parsed.
ARCHES_CMA = {"x86_64", "ppc64le"}

#: The kernel's name search; a substring match, not a parameter-name match.
_NAME = "crashkernel="

#: Suffixes in the order of the kernel's ``suffix_tbl``.
_SUFFIXES = (",high", ",low", ",cma")

#: ``unsigned long long`` arithmetic wraps; Python ints do not.
_ULL_MASK = (1 << 64) - 1
_ULLONG_MAX = _ULL_MASK

#: ``memparse`` unit letters and how many 10-bit shifts each applies.
_UNIT_SHIFTS = {"k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}

#: swiotlb's default size; x86's default low area is max(this + 8 MiB, 256 MiB).
_SWIOTLB_DEFAULT = 64 * MIB

#: Common alternative spellings (dpkg, uname variants) of the arch names above,
#: so callers may pass what they detected without translating it first.
_ARCH_ALIASES = {
    "amd64": "x86_64",
    "x86-64": "x86_64",
    "arm64": "aarch64",
    "ppc64el": "ppc64le",
    "riscv": "riscv64",
    "loong64": "loongarch64",
    "loongarch": "loongarch64",
}

#: The message the range parser logs when no entry (or a 0 size) matched.
MSG_ZERO_BYTES = "crashkernel size resulted in zero bytes"


@dataclass(frozen=True)
class Reservation:
    """What the kernel would reserve for a command line on a machine.

    Fields:

    * ``found``: a ``crashkernel=`` occurrence exists at all.
    * ``token``: value text (after ``crashkernel=``) of the token that decided
      the outcome -- the plain token, else the ``,high`` one (the ``,low`` one
      when that fails), else the suffixed token that had no effect; None when
      nothing was found.
    * ``reserved_bytes``: the main area (plain/ranges or ``,high``); 0 when
      nothing is reserved.
    * ``low_bytes``: the extra low area of the ``,high`` path (explicit
      ``,low`` or the arch default).
    * ``cma_bytes``: the extra ``,cma`` area, only next to a main area.
    * ``offset``: the explicit ``@offset``; None when absent or ``@0`` (auto).
    * ``high``: the ``,high`` path was used.
    * ``error``: None on success or when no token exists; else the kernel's
      own message, or ``"rejected silently: ..."`` for its silent -EINVALs.
    """

    found: bool
    token: Optional[str]
    reserved_bytes: int
    low_bytes: int
    cma_bytes: int
    offset: Optional[int]
    high: bool
    error: Optional[str]
    #: The explicit ``,low`` token's value used next to ``,high`` (None: the arch default or no high path).
    low_token: Optional[str] = None

    @property
    def spec(self) -> Optional[str]:
        """The deciding value(s) as kdumpwiz writes them: ``256M``, or ``72M,low 240M,high`` for a pair.

        A ``,high`` reservation is decided by two tokens; reporting only the
        high one hides the low area SUSE's calibration asks for, so the pair is
        kept together (the ``,low`` first, as kdumptool emits it).
        """
        if self.high and self.low_token is not None and self.token is not None:
            return f"{self.low_token} {self.token}"
        return self.token

    @property
    def ok(self) -> bool:
        """True when a main crash kernel area would be reserved."""
        return self.reserved_bytes > 0

    def to_dict(self) -> Dict[str, Any]:
        """The fields as a plain dict (for JSON output and answers files)."""
        return {
            "found": self.found,
            "token": self.token,
            "reserved_bytes": self.reserved_bytes,
            "low_bytes": self.low_bytes,
            "cma_bytes": self.cma_bytes,
            "offset": self.offset,
            "high": self.high,
            "error": self.error,
            "low_token": self.low_token,
            "spec": self.spec,
        }


@dataclass(frozen=True)
class _Parsed:
    """Result of one of the kernel's parse functions on one token value.

    ``size`` is kept even when ``ok`` is False because the kernel writes the
    size before validating what follows it, and ``,cma`` parsing ignores the
    return code (see :func:`evaluate`).
    """

    ok: bool
    size: int = 0
    base: int = 0
    message: Optional[str] = None
    entry: Optional[Tuple[int, Optional[int], int]] = None


# --------------------------------------------------------------------------
# numbers


def _char(text: str, pos: int) -> str:
    """The character at ``pos``, or "" past the end (the C string's NUL)."""
    return text[pos] if pos < len(text) else ""


def _strtoull(text: str, pos: int) -> Tuple[int, int]:
    """``simple_strtoull(ptr, &end, 0)``: (value, end position).

    Radix per ``_parse_integer_fixup_radix``: ``0x`` followed by a hex digit is
    hex, any other leading ``0`` is octal (the ``0`` itself is a digit, so
    ``0x`` without a hex digit parses as 0 and stops at the ``x``), else
    decimal. No sign and no whitespace skipping, as in the kernel.
    """
    first = _char(text, pos)
    if first == "0":
        second = _char(text, pos + 1).lower()
        third = _char(text, pos + 2)
        if second == "x" and third != "" and third in "0123456789abcdefABCDEF":
            base = 16
            pos += 2
        else:
            base = 8
    else:
        base = 10
    value = 0
    while pos < len(text):
        ch = text[pos]
        if "0" <= ch <= "9":
            digit = ord(ch) - ord("0")
        elif "a" <= ch.lower() <= "f" and ch.isascii():
            digit = ord(ch.lower()) - ord("a") + 10
        else:
            break
        if digit >= base:
            break
        # The kernel only flags overflow and keeps going; the value wraps.
        value = (value * base + digit) & _ULL_MASK
        pos += 1
    return value, pos


def _memparse_at(text: str, pos: int) -> Tuple[int, int]:
    """``memparse`` from ``pos``: (value, end). ``end == pos`` means nothing parsed.

    One optional unit letter follows the number. The kernel checks for the unit
    even when no digit was read, so a lone ``K``/``M``/... is consumed and
    parses as 0 -- the caller's ``cur == tmp`` test then does *not* fire.
    """
    value, end = _strtoull(text, pos)
    unit = _char(text, end)
    # isascii(): str.lower() maps some non-ASCII letters onto ASCII ones.
    shifts = _UNIT_SHIFTS.get(unit.lower()) if unit.isascii() else None
    if shifts is not None:
        value = (value << (10 * shifts)) & _ULL_MASK
        end += 1
    return value, end


def memparse(text: str) -> Tuple[int, str]:
    """Kernel ``memparse``: a C base-0 number plus one optional unit letter.

    The number is hex after ``0x``, octal after a leading ``0``, else decimal;
    the unit is one of K/M/G/T/P/E in any case, each a factor of 1024. Returns
    ``(value, rest)``. Raises ValueError when the kernel would see nothing
    parsed: no digits and no unit letter (a lone unit letter parses as 0, as in
    the kernel). Values wrap at 64 bits like ``unsigned long long``.
    """
    value, end = _memparse_at(text, 0)
    if end == 0:
        raise ValueError(f"memory value expected: {text!r}")
    return value, text[end:]


# --------------------------------------------------------------------------
# the kernel's parse functions, one token value at a time


def rounded_ram(system_ram: int) -> int:
    """The RAM the range parser compares with: ``roundup(system_ram, SZ_128M)``.

    The kernel rounds up because firmware keeps some memory for itself, so the
    memblock total of a "4 GiB" machine is a little below 4 GiB.
    """
    step = 128 * MIB
    return ((system_ram + step - 1) // step) * step


def _parse_mem(value: str, system_ram: int) -> _Parsed:
    """``parse_crashkernel_mem``: the ``start-[end]:size,...[@offset]`` syntax."""
    total_mem = rounded_ram(system_ram)
    cur = 0
    crash_size = 0
    entry: Optional[Tuple[int, Optional[int], int]] = None
    while True:
        start, tmp = _memparse_at(value, cur)
        if tmp == cur:
            return _Parsed(False, message="crashkernel: Memory value expected")
        cur = tmp
        if _char(value, cur) != "-":
            return _Parsed(False, message="crashkernel: '-' expected")
        cur += 1
        end: Optional[int] = None
        if _char(value, cur) != ":":
            end, tmp = _memparse_at(value, cur)
            if tmp == cur:
                return _Parsed(False, message="crashkernel: Memory value expected")
            cur = tmp
            if end <= start:
                return _Parsed(False, message="crashkernel: end <= start")
        if _char(value, cur) != ":":
            return _Parsed(False, message="crashkernel: ':' expected")
        cur += 1
        size, tmp = _memparse_at(value, cur)
        if tmp == cur:
            return _Parsed(False, message="crashkernel: Memory value expected")
        cur = tmp
        # Checked for every entry before the match test, so a big size in an
        # earlier, non-matching entry still rejects the whole value.
        if size >= total_mem:
            return _Parsed(False, message="crashkernel: invalid size")
        limit = _ULLONG_MAX if end is None else end
        if start <= total_mem < limit:
            crash_size = size
            entry = (start, end, size)
            break
        # C: `while (*cur++ == ',')` -- the increment happens either way, but
        # nothing reads cur afterwards when the loop ends without a match.
        more = _char(value, cur) == ","
        cur += 1
        if not more:
            break
    base = 0
    if crash_size > 0:
        # Whatever follows the matched size is skipped unvalidated up to '@'.
        while cur < len(value) and value[cur] not in " @":
            cur += 1
        if _char(value, cur) == "@":
            cur += 1
            base, tmp = _memparse_at(value, cur)
            if tmp == cur:
                return _Parsed(
                    False, size=crash_size, entry=entry,
                    message="crashkernel: Memory value expected after '@'",
                )
        return _Parsed(True, size=crash_size, base=base, entry=entry)
    return _Parsed(True, size=0, entry=entry, message=MSG_ZERO_BYTES)


def _parse_simple(value: str) -> _Parsed:
    """``parse_crashkernel_simple``: ``size[@offset]``; junk after the offset is ignored."""
    size, cur = _memparse_at(value, 0)
    if cur == 0:
        return _Parsed(False, message="crashkernel: memory value expected")
    nxt = _char(value, cur)
    if nxt == "@":
        # No "memory value expected" check here in the kernel: "256M@" is base 0.
        base, _ = _memparse_at(value, cur + 1)
        return _Parsed(True, size=size, base=base)
    if nxt not in ("", " "):
        return _Parsed(False, size=size, message=f"crashkernel: unrecognized char: {nxt}")
    return _Parsed(True, size=size)


def _parse_suffix(value: str, suffix: str) -> _Parsed:
    """``parse_crashkernel_suffix``: ``size`` then exactly ``suffix`` then the end."""
    size, cur = _memparse_at(value, 0)
    if cur == 0:
        return _Parsed(False, message="crashkernel: memory value expected")
    if not value.startswith(suffix, cur):
        return _Parsed(False, size=size, message=f"crashkernel: unrecognized char: {_char(value, cur)}")
    cur += len(suffix)
    nxt = _char(value, cur)
    if nxt not in ("", " "):
        return _Parsed(False, size=size, message=f"crashkernel: unrecognized char: {nxt}")
    return _Parsed(True, size=size)


def _parse_plain(value: str, system_ram: int) -> _Parsed:
    """``__parse_crashkernel`` without suffix: range syntax iff a ':' is in the token."""
    # The kernel compares the first ':' with the first space of the rest of the
    # command line; the token value already ends at that space.
    if ":" in value:
        return _parse_mem(value, system_ram)
    return _parse_simple(value)


# --------------------------------------------------------------------------
# token selection


def _cut_at_nul(cmdline: str) -> str:
    """The kernel works on a C string: nothing after a NUL exists for it."""
    return cmdline.split("\0", 1)[0]


def _token_values(cmdline: str) -> List[str]:
    """Every ``crashkernel=`` occurrence as ``strstr`` finds them, value text only.

    The search restarts one character after each match (``strstr(p+1, ...)``),
    and each token runs to the next space -- tabs and newlines do not end it.
    """
    line = _cut_at_nul(cmdline)
    values: List[str] = []
    pos = line.find(_NAME)
    while pos >= 0:
        stop = line.find(" ", pos)
        if stop < 0:
            stop = len(line)
        values.append(line[pos + len(_NAME):stop])
        pos = line.find(_NAME, pos + 1)
    return values


def _last_plain(values: List[str]) -> Optional[str]:
    """``get_last_crashkernel(..., NULL)``: last token not ending with a known suffix."""
    chosen: Optional[str] = None
    for value in values:
        # The kernel tests the whole token including "crashkernel=", which
        # cannot itself end with a suffix, so testing the value is the same.
        if not (_NAME + value).endswith(_SUFFIXES):
            chosen = value
    return chosen


def _last_with(values: List[str], suffix: str) -> Optional[str]:
    """``get_last_crashkernel(..., suffix)``: last token ending with ``suffix``."""
    chosen: Optional[str] = None
    for value in values:
        if (_NAME + value).endswith(suffix):
            chosen = value
    return chosen


def plain_tokens(cmdline: str) -> List[str]:
    """The values of every crashkernel= occurrence found by the kernel's substring search, in order (for display).

    Suffixed tokens (``,high``/``,low``/``,cma``) are included; the value of
    each runs up to the next space.
    """
    return _token_values(cmdline)


# --------------------------------------------------------------------------
# arch facts


def normalize_arch(arch: str) -> str:
    """The kernel-style name (``x86_64``, ``aarch64``, ``ppc64le``...) for an arch string.

    Accepts dpkg names (``amd64``, ``arm64``, ``ppc64el``, ``loong64``) as well;
    unknown names come back lower-cased and otherwise unchanged.
    """
    name = arch.strip().lower()
    return _ARCH_ALIASES.get(name, name)


def default_low_size(arch: str) -> int:
    """x86_64: max(swiotlb default 64 MiB + 8 MiB, 256 MiB) = 256 MiB; arm64/riscv/loongarch: 128 MiB; else 0.

    This is ``DEFAULT_CRASH_KERNEL_LOW_SIZE``, taken when ``,high`` is used
    without a ``,low`` token.
    """
    name = normalize_arch(arch)
    if name == "x86_64":
        return max(_SWIOTLB_DEFAULT + 8 * MIB, 256 * MIB)
    if name in ARCHES_HIGH_LOW:
        return 128 * MIB
    return 0


# --------------------------------------------------------------------------
# evaluation


def format_size(n: int) -> str:
    """Canonical unit form: '1G' when a whole number of GiB, else 'NNNM' when whole MiB, else 'NNNK'. 0 -> '0M'.

    A byte count that is not a whole KiB is written as plain digits (bytes),
    which ``memparse`` reads back unchanged; rounding it would change the value.
    """
    if n < 0:
        raise ValueError(f"negative size: {n}")
    if n == 0:
        return "0M"
    if n % GIB == 0:
        return f"{n // GIB}G"
    if n % MIB == 0:
        return f"{n // MIB}M"
    if n % KIB == 0:
        return f"{n // KIB}K"
    return str(n)


def _mib_text(n: int) -> str:
    """Sizes in messages: whole MiB as ``NNNM`` (how the kernel logs sizes), else :func:`format_size`."""
    if n % MIB == 0:
        return f"{n // MIB}M"
    return format_size(n)


def size_words(n: int) -> str:
    """A size for a sentence: whole GiB, else GiB with one decimal from 10 GiB on, else MiB.

    ``999 GiB``, ``16.0 GiB``, ``2047 MiB``: exact where a small difference matters.
    """
    if n >= GIB and n % GIB == 0:
        return f"{n // GIB} GiB"
    if n >= 10 * GIB:
        return f"{n / GIB:.1f} GiB"
    return f"{n // MIB} MiB" if n % MIB == 0 else f"{n / MIB:.1f} MiB"


def _failed(token: Optional[str], error: str) -> Reservation:
    """A reservation that reserves nothing because of ``error``."""
    return Reservation(
        found=True, token=token, reserved_bytes=0, low_bytes=0, cma_bytes=0,
        offset=None, high=False, error=error,
    )


def _suffix_only_error(
    arch: str, high_tok: Optional[str], low_tok: Optional[str], cma_tok: Optional[str]
) -> Tuple[Optional[str], str]:
    """Token and explanation when only suffixed tokens exist and none can give a size.

    The kernel is silent here (``crash_size`` stays 0, or the ``,high`` lookup
    returns -ENOENT), so the text says why nothing happened.
    """
    high_arch = arch in ARCHES_HIGH_LOW
    if high_tok is not None:
        # Only reached on arches without the ,high path.
        return high_tok, f"rejected silently: ,high is not supported on {arch}"
    if low_tok is not None:
        if high_arch:
            return low_tok, "rejected silently: a lone ,low has no effect without ,high"
        return low_tok, f"rejected silently: ,low is not supported on {arch}"
    if arch not in ARCHES_CMA:
        return cma_tok, f"rejected silently: ,cma is not supported on {arch}"
    return cma_tok, "rejected silently: a lone ,cma has no effect without a plain crashkernel= size"


def evaluate(cmdline: str, system_ram: int, arch: str = "x86_64") -> Reservation:
    """Evaluate a whole kernel command line exactly like the kernel.

    ``strstr`` finds ``crashkernel=`` as a substring (``xcrashkernel=`` and
    tokens after `` -- `` count); each token ends at the next space only; the
    last plain token wins, tokens ending with ``,high``/``,low``/``,cma`` being
    skipped for that lookup. Without a plain token, on ARCHES_HIGH_LOW, the
    last ``,high`` is used with the last ``,low`` (or the default low size); an
    invalid ``,low`` aborts. ``,cma`` counts only on ARCHES_CMA and only next
    to a main size. Range syntax applies iff a ':' is in the token; entries are
    matched against ``system_ram`` rounded up to 128 MiB (start inclusive, end
    exclusive) and any entry up to and including the match whose size is >=
    that rounded RAM gives "invalid size". Finally a size of 0, or a size >=
    the unrounded ``system_ram``, is a silent -EINVAL.

    ``system_ram`` is what the arch passes: memblock RAM in bytes on x86_64,
    arm64, riscv and loongarch (not MemTotal).
    """
    arch = normalize_arch(arch)
    values = _token_values(cmdline)
    if not values:
        return Reservation(
            found=False, token=None, reserved_bytes=0, low_bytes=0, cma_bytes=0,
            offset=None, high=False, error=None,
        )

    plain = _last_plain(values)
    high_tok = _last_with(values, ",high")
    low_tok = _last_with(values, ",low")
    cma_tok = _last_with(values, ",cma")

    token: Optional[str]
    high = False
    low = 0
    base = 0
    info: Optional[str] = None  # the zero-bytes note, the only non-fatal message
    if plain is not None:
        # A plain token disables ,high/,low entirely, valid or not.
        parsed = _parse_plain(plain, system_ram)
        if not parsed.ok:
            return _failed(plain, parsed.message or "rejected silently: invalid value")
        token, size, base, info = plain, parsed.size, parsed.base, parsed.message
    elif arch in ARCHES_HIGH_LOW and high_tok is not None:
        parsed = _parse_suffix(high_tok, ",high")
        if not parsed.ok:
            return _failed(high_tok, parsed.message or "rejected silently: invalid value")
        if parsed.size == 0:
            return _failed(high_tok, "rejected silently: ,high size is 0")
        token, size = high_tok, parsed.size
        if low_tok is None:
            low = default_low_size(arch)
        else:
            low_parsed = _parse_suffix(low_tok, ",low")
            if not low_parsed.ok:
                return _failed(low_tok, low_parsed.message or "rejected silently: invalid ,low value")
            low = low_parsed.size
        high = True
    else:
        bad_token, reason = _suffix_only_error(arch, high_tok, low_tok, cma_tok)
        return _failed(bad_token, reason)

    # parse_crashkernel's final checks; the second one uses the unrounded RAM.
    if size == 0:
        return _failed(token, info or "rejected silently: size is 0")
    if size >= system_ram:
        return _failed(
            token,
            f"rejected silently: {size_words(size)} is not less than this machine's RAM "
            f"({size_words(system_ram)} as the kernel counts it)",
        )

    cma = 0
    if arch in ARCHES_CMA and cma_tok is not None:
        # The kernel ignores the ,cma parse result, and parse_crashkernel_suffix
        # stores the number before validating the rest: "128Mx,cma" gives 128M.
        cma = _parse_suffix(cma_tok, ",cma").size

    return Reservation(
        found=True,
        token=token,
        reserved_bytes=size,
        low_bytes=low,
        cma_bytes=cma,
        # @0 means "no offset": reserve_crashkernel_generic tests `if (crash_base)`.
        offset=base or None,
        high=high,
        error=None,
        low_token=low_tok if high else None,
    )


def spec_words(spec: str) -> List[str]:
    """The value of each ``crashkernel=`` token of a spec (``"72M,low 240M,high"`` -> two values)."""
    return spec.split()


def spec_cmdline(spec: str) -> str:
    """The command-line text of a spec: ``crashkernel=72M,low crashkernel=240M,high``."""
    return " ".join(_NAME + v for v in spec_words(spec))


def normalize_spec(text: str) -> str:
    """A spec as typed (``crashkernel=`` prefixes optional, any spacing) in kdumpwiz's spelling."""
    return " ".join(w[len(_NAME):] if w.startswith(_NAME) else w for w in text.split())


def evaluate_value(value: str, system_ram: int, arch: str = "x86_64") -> Reservation:
    """Convenience: evaluate 'crashkernel=' + value as a one-token command line.

    A spec of several values (a ``,low``/``,high`` pair) is evaluated as the
    command line of all its tokens.
    """
    return evaluate(spec_cmdline(value) if " " in value.strip() else _NAME + value, system_ram, arch)


def matched_range(value: str, system_ram: int) -> Optional[Tuple[int, Optional[int], int]]:
    """The ``(start, end, size)`` range entry the kernel selects for ``value``.

    ``end`` is None for an open-ended entry. None when ``value`` is not range
    syntax, when parsing fails before a match ("invalid size", syntax errors),
    or when no entry matches. A matched entry with size 0 is returned as is
    (the kernel then logs "crashkernel size resulted in zero bytes").
    """
    value = _cut_at_nul(value).split(" ", 1)[0]
    if ":" not in value:
        return None
    parsed = _parse_mem(value, system_ram)
    if not parsed.ok:
        return None
    return parsed.entry


# --------------------------------------------------------------------------
# the canonical subset kdumpwiz emits (field guide section 2.4)

_MEM_RE = re.compile(r"(0[xX][0-9A-Fa-f]+|[0-9]+)([A-Za-z]*)")
_ENTRY_RE = re.compile(r"([^-:]*)-([^:]*):(.*)")


def _canonical_mem(text: str, units: str, what: str) -> Tuple[Optional[int], Optional[str]]:
    """Check one number of the subset: ``[1-9][0-9]*`` plus one unit from ``units``.

    Returns ``(bytes, None)`` or ``(None, reason)``.
    """
    unit_list = ", ".join(units)
    if text == "":
        return None, f"{what} is missing"
    match = _MEM_RE.fullmatch(text)
    if match is None:
        return None, f"{what} {text!r} is not a decimal number with a unit ({unit_list})"
    digits, unit = match.group(1), match.group(2)
    if digits[:2].lower() == "0x":
        return None, f"{what} {text!r} is hexadecimal; use decimal"
    if set(digits) == {"0"}:
        return None, f"{what} {text!r} is zero"
    if digits.startswith("0"):
        return None, f"{what} {text!r} has a leading zero, which the kernel reads as octal"
    if unit == "":
        return None, f"{what} {text!r} has no unit; use one of {unit_list}"
    if len(unit) > 1:
        return None, f"{what} {text!r}: unit {unit!r} is not a single letter ({unit_list})"
    if unit not in units:
        if unit.upper() in units:
            return None, f"{what} {text!r}: write the unit upper-case ({unit_list})"
        return None, f"{what} {text!r}: unit {unit!r} is outside the subset ({unit_list})"
    shift = {"M": 20, "G": 30, "T": 40}[unit]
    return int(digits) << shift, None


def spec_problem(spec: str, arch: str) -> Optional[str]:
    """None if kdumpwiz may write ``spec`` on ``arch``, else a one-line reason.

    A spec is one value of the canonical subset (:func:`canonical_problem`),
    or on the arches with ``,high`` (x86_64, arm64, riscv64, loongarch64) the
    pair SUSE's kdumptool writes: ``X,high`` alone or ``Y,low X,high``, each
    size a plain decimal with unit M or G. The pair is what SUSE calibrates
    and keeps on x86_64, so it must survive a plan that keeps it.
    """
    words = spec_words(spec)
    if len(words) == 1 and not words[0].endswith(",high"):
        return canonical_problem(words[0])
    if not words:
        return canonical_problem(spec)
    kinds: Dict[str, str] = {}
    for w in words:
        for suffix in (",high", ",low"):
            if w.endswith(suffix):
                size = w[: -len(suffix)]
                problem = _canonical_mem(size, "MG", f"{suffix[1:]} size")[1]
                if problem is not None:
                    return problem
                if suffix in kinds:
                    return f"two {suffix} values ({kinds[suffix]}, {w}); the kernel would use only the last"
                kinds[suffix] = w
                break
        else:
            return f"{w!r}: with several values each must end in ,high or ,low (a plain size disables them)"
    if ",high" not in kinds:
        return "a ,low value reserves nothing without a ,high one"
    if normalize_arch(arch) not in ARCHES_HIGH_LOW:
        return f"{arch} has no crashkernel=...,high (only x86_64, aarch64, riscv64, loongarch64)"
    if len(words) > 2:
        return "at most one ,low and one ,high value"
    return None


def canonical_problem(value: str) -> Optional[str]:
    """None if the value is in the canonical safe subset kdumpwiz emits (field guide §2.4), else a one-line reason.

    The subset: a plain decimal size with unit M or G (no leading zero, no
    offset, no suffix), or ranges ``start-[end]:size,...`` with decimal numbers,
    units M/G/T for start and end and M/G for sizes, entries strictly
    increasing and contiguous (each start equals the previous end), only the
    last entry without an end, and each size below its own range start -- which
    keeps the kernel's "invalid size" rule from ever firing on a machine that
    matches an entry. ``auto``, ``@offset``, octal/hex, ``MB``, the suffixes
    ``,high``/``,low``/``,cma`` and whitespace are all outside the subset.
    """
    if value == "":
        return "empty value"
    if any(ch.isspace() for ch in value):
        return "contains whitespace; the kernel ends the value at the first space"
    if value.lower() == "auto":
        return "crashkernel=auto exists only in RHEL 8 kernels; upstream rejects it"
    lowered = value.lower()
    for suffix in _SUFFIXES:
        if lowered.endswith(suffix):
            return f"suffix {value[-len(suffix):]} is outside the subset (arch- and kernel-specific)"
    if "@" in value:
        return "an @offset must be arch-aligned and fails when that memory is in use; omit it"
    if ":" not in value:
        _, problem = _canonical_mem(value, "MG", "size")
        return problem

    entries = value.split(",")
    prev_end: Optional[int] = None
    for index, entry in enumerate(entries):
        label = f"entry {index + 1} {entry!r}"
        match = _ENTRY_RE.fullmatch(entry)
        if match is None:
            return f"{label} is not start-[end]:size"
        start, problem = _canonical_mem(match.group(1), "MGT", f"{label}: start")
        if problem is not None or start is None:
            return problem
        end: Optional[int] = None
        if match.group(2) == "":
            if index != len(entries) - 1:
                return f"{label} has no end but is not the last entry"
        else:
            end, problem = _canonical_mem(match.group(2), "MGT", f"{label}: end")
            if problem is not None or end is None:
                return problem
            if end <= start:
                return f"{label}: end <= start"
        size, problem = _canonical_mem(match.group(3), "MG", f"{label}: size")
        if problem is not None or size is None:
            return problem
        if index > 0 and prev_end is not None and start != prev_end:
            if start < prev_end:
                return f"{label} overlaps the previous entry (starts before {_mib_text(prev_end)})"
            return f"{label} leaves a gap after the previous entry (which ends at {_mib_text(prev_end)})"
        if size >= start:
            return f"{label}: size {_mib_text(size)} is not below the range start {_mib_text(start)}"
        prev_end = end
    return None
