"""Tests of the crashkernel= parser model against hand-computed kernel results.

Every expected value below was worked out by hand from kernel/crash_reserve.c,
lib/cmdline.c memparse and the lib/kstrtox.c radix rules (field guide §2.2 and
§2.5), never taken from the module's own output.
"""

from __future__ import annotations

import dataclasses

from typing import Dict, List, Optional, Tuple

import pytest

from kdumpwiz.engine import crashkernel as ck
from kdumpwiz.engine.crashkernel import (
    ARCHES_CMA,
    ARCHES_HIGH_LOW,
    Reservation,
    canonical_problem,
    default_low_size,
    evaluate,
    evaluate_value,
    format_size,
    matched_range,
    memparse,
    plain_tokens,
)

# Our own units, so a wrong constant in the module cannot hide behind itself.
K = 1024
M = 1024 * K
G = 1024 * M
T = 1024 * G

INVALID_SIZE = "crashkernel: invalid size"
ZERO_BYTES = "crashkernel size resulted in zero bytes"

TIERED = "2G-4G:320M,4G-32G:512M,32G-64G:1024M,64G-128G:2048M,128G-:4096M"


def _expect(
    reserved: int = 0,
    low: int = 0,
    cma: int = 0,
    offset: Optional[int] = None,
    high: bool = False,
    error: Optional[str] = None,
) -> Dict[str, object]:
    """The Reservation fields a row checks (token/found are checked elsewhere)."""
    return {
        "reserved_bytes": reserved,
        "low_bytes": low,
        "cma_bytes": cma,
        "offset": offset,
        "high": high,
        "error": error,
    }


def _fields(res: Reservation) -> Dict[str, object]:
    return {
        "reserved_bytes": res.reserved_bytes,
        "low_bytes": res.low_bytes,
        "cma_bytes": res.cma_bytes,
        "offset": res.offset,
        "high": res.high,
        "error": res.error,
    }


# --------------------------------------------------------------------------
# field guide §2.5 "Executed tricky cases": every row, as a whole command line

TRICKY: List[Tuple[str, str, int, str, Dict[str, object]]] = [
    ("plain", "crashkernel=256M", 8 * G, "x86_64", _expect(256 * M)),
    ("offset", "crashkernel=256M@16M", 8 * G, "x86_64", _expect(256 * M, offset=0x1000000)),
    ("range start inclusive", "crashkernel=512M-2G:64M,2G-:128M", 2 * G, "x86_64", _expect(128 * M)),
    # 2047M rounds up to 2048M, which is the start of "2G-".
    ("range 2G-1M rounds up", "crashkernel=512M-2G:64M,2G-:128M", 2 * G - 1 * M, "x86_64", _expect(128 * M)),
    # 1919M rounds up to 1920M, inside 512M-2G.
    ("range 2G-129M", "crashkernel=512M-2G:64M,2G-:128M", 2 * G - 129 * M, "x86_64", _expect(64 * M)),
    # 1G: 320M and 512M are < 1G, the 32G-64G entry's 1024M is not -> rejected.
    ("tiered 1G", "crashkernel=" + TIERED, 1 * G, "x86_64", _expect(error=INVALID_SIZE)),
    # 1.5G: 1024M < 1536M, the 64G-128G entry's 2048M is not -> rejected.
    ("tiered 1.5G", "crashkernel=" + TIERED, 1536 * M, "x86_64", _expect(error=INVALID_SIZE)),
    ("tiered 3G", "crashkernel=" + TIERED, 3 * G, "x86_64", _expect(320 * M)),
    # 137438555136 B is 398336 B short of 128 GiB; rounded up it is exactly 128G.
    ("tiered 128G VM memblock", "crashkernel=" + TIERED, 137438555136, "x86_64", _expect(4096 * M)),
    # 131981020 kB = 135148564480 B -> rounded 1007 * 128M = 128896M, inside 64G-128G.
    ("tiered 128G VM MemTotal", "crashkernel=" + TIERED, 131981020 * 1024, "x86_64", _expect(2048 * M)),
    ("range trailing B ignored", "crashkernel=1G-:256MB", 8 * G, "x86_64", _expect(256 * M)),
    ("plain 256MB", "crashkernel=256MB", 8 * G, "x86_64", _expect(error="crashkernel: unrecognized char: B")),
    ("auto", "crashkernel=auto", 8 * G, "x86_64", _expect(error="crashkernel: memory value expected")),
    ("no", "crashkernel=no", 8 * G, "x86_64", _expect(error="crashkernel: memory value expected")),
    # 0512 octal = 5*64 + 1*8 + 2 = 330.
    ("octal", "crashkernel=0512M", 8 * G, "x86_64", _expect(330 * M)),
    # 012 octal = 10, then '8' is not an octal digit.
    ("octal stops at 8", "crashkernel=0128M", 8 * G, "x86_64", _expect(error="crashkernel: unrecognized char: 8")),
    ("hex", "crashkernel=0x10000000", 8 * G, "x86_64", _expect(256 * M)),
    ("high default low", "crashkernel=512M,high", 8 * G, "x86_64", _expect(512 * M, low=256 * M, high=True)),
    ("high 0,low", "crashkernel=512M,high crashkernel=0,low", 8 * G, "x86_64", _expect(512 * M, low=0, high=True)),
    ("plain beats high", "crashkernel=512M,high crashkernel=256M", 8 * G, "x86_64", _expect(256 * M)),
    ("last wins", "crashkernel=256M crashkernel=512M", 8 * G, "x86_64", _expect(512 * M)),
    ("range with suffix", "crashkernel=1G-:256M,high", 8 * G, "x86_64",
     _expect(error="crashkernel: unrecognized char: -")),
    ("lone low", "crashkernel=512M,low", 8 * G, "x86_64",
     _expect(error="rejected silently: a lone ,low has no effect without ,high")),
    ("lone cma", "crashkernel=256M,cma", 8 * G, "x86_64",
     _expect(error="rejected silently: a lone ,cma has no effect without a plain crashkernel= size")),
    ("plain + cma", "crashkernel=256M crashkernel=128M,cma", 8 * G, "x86_64", _expect(256 * M, cma=128 * M)),
    ("substring match", "crashkernel=256M xcrashkernel=1G", 8 * G, "x86_64", _expect(1 * G)),
    ("after --", "crashkernel=256M -- crashkernel=1G", 8 * G, "x86_64", _expect(1 * G)),
    ("range offset", "crashkernel=2G-:256M@1G", 8 * G, "x86_64", _expect(256 * M, offset=1 * G)),
    ("range no start", "crashkernel=:256M", 8 * G, "x86_64", _expect(error="crashkernel: Memory value expected")),
    ("end < start", "crashkernel=2G-1G:128M", 8 * G, "x86_64", _expect(error="crashkernel: end <= start")),
    ("end == start", "crashkernel=2G-2G:128M", 8 * G, "x86_64", _expect(error="crashkernel: end <= start")),
    ("dangling entry", "crashkernel=1G-4G:128M,4G-", 8 * G, "x86_64",
     _expect(error="crashkernel: Memory value expected")),
    ("zero", "crashkernel=0", 8 * G, "x86_64", _expect(error="rejected silently: size is 0")),
    ("range size 0", "crashkernel=1G-:0M", 8 * G, "x86_64", _expect(error=ZERO_BYTES)),
    ("size == RAM", "crashkernel=4G", 4 * G, "x86_64",
     _expect(error="rejected silently: 4 GiB is not less than this machine's RAM (4 GiB as the kernel counts it)")),
    ("lower-case units", "crashkernel=1g-:256m", 8 * G, "x86_64", _expect(256 * M)),
    ("first match", "crashkernel=1G-:256M,2G-:512M", 8 * G, "x86_64", _expect(256 * M)),
    ("@0 auto place", "crashkernel=128M@0", 8 * G, "x86_64", _expect(128 * M, offset=None)),
    ("space after =", "crashkernel= 256M", 8 * G, "x86_64", _expect(error="crashkernel: memory value expected")),
    ("bad low aborts high", "crashkernel=256M,high crashkernel=1G-:128M,low", 8 * G, "x86_64",
     _expect(error="crashkernel: unrecognized char: -")),
    ("suffix case", "crashkernel=256M,High", 8 * G, "x86_64", _expect(error="crashkernel: unrecognized char: ,")),
    ("high on ppc64le", "crashkernel=512M,high", 8 * G, "ppc64le",
     _expect(error="rejected silently: ,high is not supported on ppc64le")),
    ("high on ppc64", "crashkernel=512M,high", 8 * G, "ppc64",
     _expect(error="rejected silently: ,high is not supported on ppc64")),
    ("high on s390x", "crashkernel=512M,high", 8 * G, "s390x",
     _expect(error="rejected silently: ,high is not supported on s390x")),
    ("kdump-utils 102400T", "crashkernel=2G-64G:256M,64G-102400T:512M", 8 * G, "x86_64", _expect(256 * M)),
    ("1T on 8G", "crashkernel=1T", 8 * G, "x86_64",
     _expect(error="rejected silently: 1024 GiB is not less than this machine's RAM (8 GiB as the kernel counts "
                   "it)")),
    ("size == rounded RAM", "crashkernel=2G-4G:3G", 3 * G, "x86_64", _expect(error=INVALID_SIZE)),
]


@pytest.mark.parametrize(
    "cmdline,ram,arch,expected", [row[1:] for row in TRICKY], ids=[row[0] for row in TRICKY]
)
def test_field_guide_tricky_cases(cmdline: str, ram: int, arch: str, expected: Dict[str, object]) -> None:
    res = evaluate(cmdline, ram, arch)
    assert res.found is True
    assert _fields(res) == expected
    assert res.ok is (expected["reserved_bytes"] != 0)


# --------------------------------------------------------------------------
# field guide §2.5 "What the shipped defaults reserve": every cell

RAMS = [512 * M, 1 * G, 1536 * M, 2 * G, 4 * G, 8 * G, 32 * G, 64 * G, 128 * G, 1 * T]
INV = "invalid"
ZERO = "zero"

DEFAULTS: Dict[str, List[object]] = {
    "2G-64G:256M,64G-:512M":
        [INV, ZERO, ZERO, 256 * M, 256 * M, 256 * M, 256 * M, 512 * M, 512 * M, 512 * M],
    "1G-4G:192M,4G-64G:256M,64G-:512M":
        [INV, 192 * M, 192 * M, 192 * M, 256 * M, 256 * M, 256 * M, 512 * M, 512 * M, 512 * M],
    "2G-4G:256M,4G-64G:320M,64G-:576M":
        [INV, ZERO, ZERO, 256 * M, 320 * M, 320 * M, 320 * M, 576 * M, 576 * M, 576 * M],
    "2G-4G:384M,4G-16G:512M,16G-64G:1G,64G-128G:2G,128G-:4G":
        [INV, INV, INV, 384 * M, 512 * M, 512 * M, 1024 * M, 2048 * M, 4096 * M, 4096 * M],
    "384M-:128M": [128 * M] * 10,
    "512M-:192M": [192 * M] * 10,
    TIERED:
        [INV, INV, INV, 320 * M, 512 * M, 512 * M, 1024 * M, 2048 * M, 4096 * M, 4096 * M],
}

DEFAULT_CELLS = [
    (value, ram, cell)
    for value, cells in DEFAULTS.items()
    for ram, cell in zip(RAMS, cells)
]


@pytest.mark.parametrize(
    "value,ram,cell", DEFAULT_CELLS, ids=[f"{v[:18]}@{format(r // M)}M" for v, r, _ in DEFAULT_CELLS]
)
def test_shipped_defaults_table(value: str, ram: int, cell: object) -> None:
    res = evaluate_value(value, ram)
    assert res.token == value
    if cell == INV:
        assert res.error == INVALID_SIZE
        assert res.reserved_bytes == 0
    elif cell == ZERO:
        assert res.error == ZERO_BYTES
        assert res.reserved_bytes == 0
    else:
        assert res.error is None
        assert res.reserved_bytes == cell
        assert res.offset is None and res.low_bytes == 0 and res.cma_bytes == 0


def test_defaults_table_is_complete() -> None:
    assert len(DEFAULT_CELLS) == 7 * 10


# --------------------------------------------------------------------------
# more parser behaviour


@pytest.mark.parametrize(
    "cmdline,ram,arch,expected",
    [
        # 2047M RAM: "2G-" matches (rounded 2048M) and 2047M < 2048M passes the
        # range check, but the final check uses the unrounded RAM.
        ("crashkernel=2G-:2047M", 2047 * M, "x86_64",
         _expect(error="rejected silently: 2047 MiB is not less than this machine's RAM (2047 MiB as the kernel "
                "counts it)")),
        # A non-matching entry followed by '@' ends the list: nothing matched.
        ("crashkernel=1G-2G:64M@16M", 8 * G, "x86_64", _expect(error=ZERO_BYTES)),
        ("crashkernel=2G-:256M@", 8 * G, "x86_64",
         _expect(error="crashkernel: Memory value expected after '@'")),
        ("crashkernel=1G:128M", 8 * G, "x86_64", _expect(error="crashkernel: '-' expected")),
        ("crashkernel=1G-4Gx:128M", 8 * G, "x86_64", _expect(error="crashkernel: ':' expected")),
        ("crashkernel=1G-:", 8 * G, "x86_64", _expect(error="crashkernel: Memory value expected")),
        # No ':' -> simple syntax, which stops at the '-'.
        ("crashkernel=1G-4G", 8 * G, "x86_64", _expect(error="crashkernel: unrecognized char: -")),
        # Junk after the matched size and after the offset is not validated.
        ("crashkernel=1G-:256M@16Mjunk", 8 * G, "x86_64", _expect(256 * M, offset=16 * M)),
        ("crashkernel=256M@16Mjunk", 8 * G, "x86_64", _expect(256 * M, offset=16 * M)),
        # Simple syntax does not check for digits after '@': base 0 = auto.
        ("crashkernel=256M@", 8 * G, "x86_64", _expect(256 * M)),
        # The last plain token wins even when it is invalid: no fallback.
        ("crashkernel=256M crashkernel=auto", 8 * G, "x86_64",
         _expect(error="crashkernel: memory value expected")),
        # An invalid plain token also disables the ,high path.
        ("crashkernel=512M,high crashkernel=256MB", 8 * G, "x86_64",
         _expect(error="crashkernel: unrecognized char: B")),
        # Last ,high and last ,low are used.
        ("crashkernel=1G,high crashkernel=64M,low crashkernel=2G,high crashkernel=96M,low", 8 * G, "x86_64",
         _expect(2 * G, low=96 * M, high=True)),
        ("crashkernel=0,high", 8 * G, "x86_64", _expect(error="rejected silently: ,high size is 0")),
        ("crashkernel=8G,high", 8 * G, "x86_64",
         _expect(error="rejected silently: 8 GiB is not less than this machine's RAM (8 GiB as the kernel counts "
                "it)")),
        ("crashkernel=512M,highx", 8 * G, "x86_64", _expect(error="crashkernel: unrecognized char: ,")),
        # arm64 / riscv / loongarch default low size is 128M.
        ("crashkernel=512M,high", 8 * G, "aarch64", _expect(512 * M, low=128 * M, high=True)),
        ("crashkernel=512M,high", 8 * G, "riscv64", _expect(512 * M, low=128 * M, high=True)),
        ("crashkernel=512M,high", 8 * G, "loongarch64", _expect(512 * M, low=128 * M, high=True)),
        # dpkg spelling of the arch.
        ("crashkernel=512M,high", 8 * G, "arm64", _expect(512 * M, low=128 * M, high=True)),
        ("crashkernel=512M,high", 8 * G, "amd64", _expect(512 * M, low=256 * M, high=True)),
        # ,cma next to ,high on x86 counts too (both are main sizes).
        ("crashkernel=512M,high crashkernel=1G,cma", 8 * G, "x86_64",
         _expect(512 * M, low=256 * M, cma=1 * G, high=True)),
        # ,cma never counts when the main size failed.
        ("crashkernel=auto crashkernel=1G,cma", 8 * G, "x86_64",
         _expect(error="crashkernel: memory value expected")),
        # The kernel ignores the ,cma parse result after storing the number.
        ("crashkernel=256M crashkernel=128Mx,cma", 8 * G, "x86_64", _expect(256 * M, cma=128 * M)),
        # ,cma is parsed on ppc64le next to a plain size...
        ("crashkernel=256M crashkernel=128M,cma", 8 * G, "ppc64le", _expect(256 * M, cma=128 * M)),
        # ...and ignored where the arch does not ask for it.
        ("crashkernel=256M crashkernel=128M,cma", 8 * G, "aarch64", _expect(256 * M)),
        ("crashkernel=256M crashkernel=128M,cma", 8 * G, "s390x", _expect(256 * M)),
        ("crashkernel=256M,cma", 8 * G, "s390x",
         _expect(error="rejected silently: ,cma is not supported on s390x")),
        ("crashkernel=512M,low", 8 * G, "s390x",
         _expect(error="rejected silently: ,low is not supported on s390x")),
        # Plain values work everywhere.
        ("crashkernel=512M", 8 * G, "s390x", _expect(512 * M)),
        ("crashkernel=" + TIERED, 8 * G, "ppc64le", _expect(512 * M)),
        # Overlapping strstr hits: the search restarts one character later.
        ("crashkernel=crashkernel=1G", 8 * G, "x86_64", _expect(1 * G)),
        # Only a space ends a token; a tab does not.
        ("crashkernel=256M\tquiet", 8 * G, "x86_64", _expect(error="crashkernel: unrecognized char: \t")),
        # The kernel sees a C string: nothing after a NUL.
        ("crashkernel=256M\0 crashkernel=1G", 8 * G, "x86_64", _expect(256 * M)),
        # A lone unit letter parses as 0 in memparse, so this is size 0, not a syntax error.
        ("crashkernel=M", 8 * G, "x86_64", _expect(error="rejected silently: size is 0")),
        # ... and a range start "G" is 0, so the entry matches every machine.
        ("crashkernel=G-:256M", 8 * G, "x86_64", _expect(256 * M)),
        # Realistic command line around the token.
        ("BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=UUID=1234 ro crashkernel=384M-:128M quiet",
         24575 * M, "x86_64", _expect(128 * M)),
    ],
)
def test_more_parser_cases(cmdline: str, ram: int, arch: str, expected: Dict[str, object]) -> None:
    assert _fields(evaluate(cmdline, ram, arch)) == expected


def test_no_token() -> None:
    res = evaluate("root=/dev/sda1 ro quiet crashkernel", 8 * G)
    assert res == Reservation(
        found=False, token=None, reserved_bytes=0, low_bytes=0, cma_bytes=0,
        offset=None, high=False, error=None,
    )
    assert res.ok is False


def test_token_reported() -> None:
    assert evaluate("a crashkernel=256M b crashkernel=512M,high c", 8 * G).token == "256M"
    assert evaluate("crashkernel=512M,high crashkernel=72M,low", 8 * G).token == "512M,high"
    # The failing ,low is the token to blame.
    assert evaluate("crashkernel=256M,high crashkernel=1G-:128M,low", 8 * G).token == "1G-:128M,low"
    assert evaluate("crashkernel=256M -- crashkernel=1G", 8 * G).token == "1G"


def test_spec_keeps_the_low_half_of_a_pair() -> None:
    """A ,high reservation is decided by two tokens: the spec names both (low first, as kdumptool writes)."""
    res = evaluate("root=/dev/vda2 crashkernel=240M,high crashkernel=72M,low quiet", 16 * G)
    assert res.spec == "72M,low 240M,high" and res.low_bytes == 72 * M and res.reserved_bytes == 240 * M
    assert evaluate("crashkernel=240M,high", 16 * G).spec == "240M,high"          # default low, no token
    assert evaluate("crashkernel=72M,low crashkernel=256M", 16 * G).spec == "256M"  # plain wins, low ignored
    assert evaluate_value("72M,low 240M,high", 16 * G).reserved_bytes == 240 * M


@pytest.mark.parametrize("spec, arch, problem", [
    ("72M,low 240M,high", "x86_64", None),
    ("240M,high", "aarch64", None),
    ("240M,high", "ppc64le", "has no crashkernel=...,high"),
    ("72M,low", "x86_64", "outside the subset"),
    ("256M 240M,high", "x86_64", "must end in ,high or ,low"),
    ("72M,low 64M,low 240M,high", "x86_64", "two ,low values"),
    ("072M,low 240M,high", "x86_64", "leading zero"),
])
def test_spec_problem(spec, arch, problem) -> None:
    from kdumpwiz.engine.crashkernel import spec_problem

    got = spec_problem(spec, arch)
    assert (got is None) if problem is None else (got is not None and problem in got), got


def test_to_dict() -> None:
    res = evaluate_value("256M@16M", 8 * G)
    assert res.to_dict() == {
        "found": True,
        "token": "256M@16M",
        "reserved_bytes": 256 * M,
        "low_bytes": 0,
        "cma_bytes": 0,
        "offset": 16 * M,
        "high": False,
        "error": None,
        "low_token": None,
        "spec": "256M@16M",
    }


def test_reservation_is_frozen() -> None:
    res = evaluate_value("256M", 8 * G)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.reserved_bytes = 1  # type: ignore[misc]


def test_arch_sets() -> None:
    assert ARCHES_HIGH_LOW == {"x86_64", "aarch64", "riscv64", "loongarch64"}
    assert ARCHES_CMA == {"x86_64", "ppc64le"}


def test_units() -> None:
    assert (ck.KIB, ck.MIB, ck.GIB, ck.TIB) == (1024, 1048576, 1073741824, 1099511627776)


# --------------------------------------------------------------------------
# memparse


@pytest.mark.parametrize(
    "text,value,rest",
    [
        ("256M", 256 * M, ""),
        ("256m", 256 * M, ""),
        ("1G", 1 * G, ""),
        ("2T", 2 * T, ""),
        ("1P", 1 << 50, ""),
        ("1e", 1 << 60, ""),
        ("64K", 64 * K, ""),
        ("4096", 4096, ""),
        ("0512M", 330 * M, ""),
        ("0x10000000", 256 * M, ""),
        ("0X1fM", 31 * M, ""),
        # Hex digits include 'e', so "0x1e" is 30, not 1 exabyte.
        ("0x1e", 30, ""),
        # "0x" without a hex digit: octal 0, stop at 'x'.
        ("0xg", 0, "xg"),
        ("08", 0, "8"),
        ("0128M", 10, "8M"),
        ("256MB", 256 * M, "B"),
        ("1G-:256M", 1 * G, "-:256M"),
        ("256M@16M", 256 * M, "@16M"),
        # One unit letter only.
        ("1KM", 1 * K, "M"),
        # A lone unit letter is consumed and parses as 0 (kernel behaviour).
        ("K", 0, ""),
        ("m-", 0, "-"),
        # 16 EiB wraps to 0 in unsigned long long.
        ("16E", 0, ""),
        ("18446744073709551617", 1, ""),
    ],
)
def test_memparse(text: str, value: int, rest: str) -> None:
    assert memparse(text) == (value, rest)


@pytest.mark.parametrize("text", ["", "auto", "no", "-1", " 256M", "+1", "x10", ",high"])
def test_memparse_nothing_parsed(text: str) -> None:
    with pytest.raises(ValueError):
        memparse(text)


# --------------------------------------------------------------------------
# small helpers


@pytest.mark.parametrize(
    "n,text",
    [
        (0, "0M"),
        (1 * G, "1G"),
        (4 * G, "4G"),
        (1 * T, "1024G"),
        (256 * M, "256M"),
        (1536 * M, "1536M"),
        (4096 * M, "4G"),
        (64 * K, "64K"),
        (1 * M + 4 * K, "1028K"),
        (1000, "1000"),
    ],
)
def test_format_size(n: int, text: str) -> None:
    assert format_size(n) == text


def test_format_size_round_trips() -> None:
    for n in (1, 4095, 4096, 192 * M, 330 * M, 3 * G, 5 * T + 1 * M):
        assert memparse(format_size(n)) == (n, "")


def test_format_size_negative() -> None:
    with pytest.raises(ValueError):
        format_size(-1)


@pytest.mark.parametrize(
    "arch,size",
    [
        ("x86_64", 256 * M),
        ("amd64", 256 * M),
        ("aarch64", 128 * M),
        ("arm64", 128 * M),
        ("riscv64", 128 * M),
        ("loongarch64", 128 * M),
        ("ppc64le", 0),
        ("s390x", 0),
        ("i686", 0),
    ],
)
def test_default_low_size(arch: str, size: int) -> None:
    assert default_low_size(arch) == size


def test_plain_tokens() -> None:
    line = "ro crashkernel=256M,high xcrashkernel=1G crashkernel=72M,low -- crashkernel=2G-:128M@16M"
    assert plain_tokens(line) == ["256M,high", "1G", "72M,low", "2G-:128M@16M"]
    assert plain_tokens("root=/dev/sda1 quiet") == []
    assert plain_tokens("crashkernel=") == [""]
    assert plain_tokens("crashkernel=crashkernel=1G") == ["crashkernel=1G", "1G"]


@pytest.mark.parametrize(
    "value,ram,entry",
    [
        (TIERED, 3 * G, (2 * G, 4 * G, 320 * M)),
        (TIERED, 137438555136, (128 * G, None, 4096 * M)),
        (TIERED, 131981020 * 1024, (64 * G, 128 * G, 2048 * M)),
        (TIERED, 1 * G, None),  # invalid size
        ("512M-2G:64M,2G-:128M", 2 * G - 1 * M, (2 * G, None, 128 * M)),
        ("512M-2G:64M,2G-:128M", 2 * G - 129 * M, (512 * M, 2 * G, 64 * M)),
        ("2G-64G:256M,64G-:512M", 1 * G, None),  # nothing matches
        ("1G-:0M", 8 * G, (1 * G, None, 0)),
        ("256M", 8 * G, None),  # not range syntax
        ("2G-1G:128M", 8 * G, None),
        ("1G-:256M@16M", 8 * G, (1 * G, None, 256 * M)),
    ],
)
def test_matched_range(value: str, ram: int, entry: Optional[Tuple[int, Optional[int], int]]) -> None:
    assert matched_range(value, ram) == entry


# --------------------------------------------------------------------------
# canonical subset


@pytest.mark.parametrize(
    "value",
    [
        "256M",
        "1G",
        "192M",
        TIERED,
        "512M-:192M",
        "384M-:128M",
        "2G-64G:256M,64G-:512M",
        "1G-4G:192M,4G-64G:256M,64G-:512M",
        "2G-4G:384M,4G-16G:512M,16G-64G:1G,64G-128G:2G,128G-:4G",
        "2G-64G:256M,64G-102400T:512M",
        "1G-2G:64M",
    ],
)
def test_canonical_accepts(value: str) -> None:
    assert canonical_problem(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "",
        "auto",
        "AUTO",
        "256M@16M",
        "2G-:256M@1G",
        "0512M",
        "0x10000000",
        "256MB",
        "256m",
        "256K",
        "1T",
        "268435456",
        "0",
        "0M",
        "512M,high",
        "72M,low",
        "128M,cma",
        "256M ",
        " 256M",
        "2G-1G:128M",
        "2G-2G:128M",
        "1G-2G:64M,3G-:128M",          # gap between 2G and 3G
        "1G-3G:64M,2G-:128M",          # overlap
        "512M-:768M",                  # size >= start
        "2G-:2G",                      # size == start
        "1G-:64M,2G-:128M",            # an entry without end that is not last
        "1G-2G:64M,",                  # empty entry
        ":256M",
        "1G-4G:128M,4G-",
        "1G-:256MB",
        "2G-4G:1T",                    # T not allowed for sizes
        "2g-4g:256M",
        "1K-2G:64M",
        "2G-64G:256",
    ],
)
def test_canonical_rejects(value: str) -> None:
    problem = canonical_problem(value)
    assert isinstance(problem, str) and problem
    assert "\n" not in problem


def test_canonical_reasons_name_the_problem() -> None:
    assert "octal" in (canonical_problem("0512M") or "")
    assert "gap" in (canonical_problem("1G-2G:64M,3G-:128M") or "")
    assert "overlap" in (canonical_problem("1G-3G:64M,2G-:128M") or "")
    assert "not below" in (canonical_problem("512M-:768M") or "")
    assert "not the last" in (canonical_problem("1G-:64M,2G-:128M") or "")
    assert "offset" in (canonical_problem("256M@16M") or "")
    assert "MB" in (canonical_problem("256MB") or "")


def test_canonical_values_reserve_on_matching_machines() -> None:
    # The point of the subset: on any machine that matches an entry, the kernel
    # never says "invalid size". Check the tiered string from 2G up.
    for gib in (2, 3, 5, 31, 32, 33, 64, 100, 128, 1024):
        res = evaluate_value(TIERED, gib * G)
        assert res.error is None and res.reserved_bytes > 0, gib
