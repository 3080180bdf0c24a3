"""kdumpwiz's suggestion held to real measurements (issue 10).

docs/sizing-data.csv holds, for every guest shape bench/sizing/sweep ran, the
smallest crashkernel= whose capture kernel saved a dump that makedumpfile read
back (measured on QEMU, 16 MiB grid).  These tests rebuild each measured guest
as a fixture tree (tests/fixtures/measured.py) and require the current code's
suggestion to lie in the band: measured minimum <= suggestion <= 1.3 x minimum.
A constant in engine/sizing.py that pushes any row out of the band fails here.

The expected values are the measurements, never the code's own output.
"""

from __future__ import annotations

import csv

import pytest

from kdumpwiz.engine import detect, sizing
from kdumpwiz.engine.crashkernel import MIB
from kdumpwiz.engine.host import Host
from tests.fixtures.measured import CSV_PATH, build_measured, measured_rows

ROWS = measured_rows()
BAND = 1.3


def _ids(rows):
    return [r["shape"] for r in rows]


def test_the_data_is_there() -> None:
    """The band tests below are only as good as the rows: the sweep's shapes must be in the CSV."""
    with open(CSV_PATH, newline="") as fh:
        all_rows = list(csv.DictReader(fh))
    suites = {r["suite"] for r in ROWS}
    rams = {int(r["ram_mib"]) for r in ROWS}
    assert {"bookworm", "trixie"} <= suites, suites
    assert len(rams) >= 3, rams
    assert len(ROWS) >= 8, [r["shape"] for r in all_rows]


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """shape -> (row, facts, suggestion), each guest rebuilt once."""
    out = {}
    for row in ROWS:
        root = build_measured(tmp_path_factory.mktemp("m") / "root", row)
        host = Host(str(root))
        facts = detect.detect(host)
        out[row["shape"]] = (row, facts, sizing.suggest(host, facts))
    return out


@pytest.mark.parametrize("shape", _ids(ROWS))
def test_fixture_is_the_measured_guest(measured, shape: str) -> None:
    """The rebuilt tree reports the guest's facts, so the band test is about the right machine."""
    row, facts, _ = measured[shape]
    assert facts.kernel.release == row["kernel"]
    assert facts.kernel.init_size == int(row["init_size"])
    assert facts.kernel.vmlinuz_bytes == int(row["vmlinuz_bytes"])
    assert facts.kernel.kdump_initrd_bytes == int(row["kdump_initrd_bytes"])
    if row["suite"] == "trixie":  # kdump-tools 1:1.10 records du -sm of the unpacked initrd
        assert facts.kernel.kdump_initrd_unpacked_bytes == -(-int(row["kdump_initrd_unpacked_bytes"]) // MIB) * MIB
    else:
        assert facts.kernel.kdump_initrd_unpacked_bytes is None
    assert facts.cpus == int(row["vcpus"])
    # RAM as the kernel counts it, rounded to 128 MiB, is what ranges and limits see.
    assert facts.memory.rounded_bytes == -(-int(row["system_ram_bytes"]) // (128 * MIB)) * 128 * MIB


@pytest.mark.parametrize("shape", _ids(ROWS))
def test_suggestion_inside_the_measured_band(measured, shape: str) -> None:
    """smallest that captured <= suggestion <= 1.3 x that, on every measured guest."""
    row, _, sug = measured[shape]
    lowest = int(row["min_captures_mib"]) * MIB
    assert sug.reserved_bytes >= lowest, (
        f"{shape}: kdumpwiz suggests {sug.value} ({sug.reserved_bytes // MIB}M), but the smallest reservation "
        f"that captured was {row['min_captures_mib']}M (trials: {row['outcomes']})")
    assert sug.reserved_bytes <= BAND * lowest, (
        f"{shape}: kdumpwiz suggests {sug.reserved_bytes // MIB}M, more than {BAND} x the measured "
        f"{row['min_captures_mib']}M: it wastes memory the data shows is not needed")


@pytest.mark.parametrize("shape", _ids(ROWS))
def test_measured_minimum_shown_for_the_matching_shape(measured, shape: str) -> None:
    """Where the machine matches a measured shape, the suggestion names the measured minimum."""
    row, _, sug = measured[shape]
    assert sug.measured is not None
    assert sug.measured.min_captures_bytes == int(row["min_captures_mib"]) * MIB
    assert any(f"{row['min_captures_mib']}M" in r for r in sug.reasons)


def test_csv_is_current_with_the_code(measured) -> None:
    """docs/sizing-data.csv's suggestion column is the current code's (rerun bench/sizing/report)."""
    for row, _, sug in measured.values():
        assert str(sug.reserved_bytes // MIB) == row["suggestion_mib"], (
            f"{row['shape']}: the CSV says {row['suggestion_mib']}M, the code suggests {sug.reserved_bytes // MIB}M: "
            "run .venv/bin/python bench/sizing/report")


@pytest.mark.parametrize("shape", _ids(ROWS))
def test_smallest_loadable_agrees_with_the_kernel(measured, shape: str) -> None:
    """kdumpwiz's 'cannot even be loaded' line sits between the measured failing and loading sizes."""
    row, facts, sug = measured[shape]
    loads = int(row["min_loads_mib"]) * MIB   # kdump-config load succeeded here ...
    fails = loads - 16 * MIB                  # ... and failed one grid step below
    assert sug.min_loadable_bytes is not None
    assert fails < sug.min_loadable_bytes <= loads
    assert not sizing.check_value(f"{fails // MIB}M", facts, sug).ok
    assert sizing.check_value(f"{loads // MIB}M", facts, sug).ok


def test_plan_refuses_a_value_that_cannot_load_unless_forced(tmp_path) -> None:
    from kdumpwiz.engine.answers import load_answers_text
    from kdumpwiz.engine.errors import CrashkernelError
    from kdumpwiz.engine.plan import build_plan

    row = next(r for r in ROWS if r["suite"] == "bookworm")
    host = Host(str(build_measured(tmp_path / "root", row)))
    facts = detect.detect(host)
    with pytest.raises(CrashkernelError, match="cannot even be loaded"):
        build_plan(host, facts, load_answers_text("crashkernel: 64M\n"))
    plan = build_plan(host, facts, load_answers_text("crashkernel: 64M\nforce_crashkernel: true\n"))
    assert plan.crashkernel == "64M"
    assert any("cannot even be loaded" in w and "(forced)" in w for w in plan.warnings)


def test_auto_replaces_a_default_the_data_shows_is_oversized(tmp_path) -> None:
    """Debian 13 at 1 GiB: kdump-tools' 512M-:192M is 1.5x the measured need; auto writes the suggestion."""
    from kdumpwiz.engine.answers import load_answers_text
    from kdumpwiz.engine.plan import build_plan, resolve_auto

    row = next(r for r in ROWS if r["suite"] == "trixie" and r["ram_mib"] == "1024" and r["initrd_policy"] == "dep")
    host = Host(str(build_measured(tmp_path / "root", row)))
    facts = detect.detect(host)
    sug = sizing.suggest(host, facts)
    assert facts.boot.configured_crashkernel == "512M-:192M"
    assert sug.trusted_below_default and sug.reserved_bytes < sug.baseline_bytes
    assert resolve_auto(facts, sug) == sug.value
    assert any("below the default" in r for r in sug.reasons)
    plan = build_plan(host, facts, load_answers_text("crashkernel: auto\n"))
    assert plan.crashkernel == sug.value and plan.files
