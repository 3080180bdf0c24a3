"""Tests of the kernel command line editor.

Word boundaries and keys follow the kernel's next_arg() (lib/cmdline.c): whitespace
separates words unless inside double quotes, and the key is what precedes the
first '=' (a leading quote of the word does not count).
"""

from __future__ import annotations

import pytest

from kdumpwiz.engine.editors import cmdline as cl
from kdumpwiz.engine.errors import EditError

# Modelled on a Fedora 34 BLS entry's options (kdump-utils bls fixtures).
FEDORA = ("root=UUID=45fdf703-3966-401b-b8f7-cf056affd2b0 ro rd.driver.blacklist=nouveau rhgb quiet "
          "crashkernel=4G-16G:768M,16G-64G:1G,64G-128G:2G fadump=on")


def test_split_like_next_arg() -> None:
    assert cl.split('  a b="c d"  "e f" g\t\th\n') == ["a", 'b="c d"', '"e f"', "g", "h"]
    assert cl.split("") == []
    assert cl.split(" \n") == []
    # An unterminated quote runs to the end of the line.
    assert cl.split('a b="c d e') == ["a", 'b="c d e']
    # A quote in the middle of a word groups too.
    assert cl.split('x=a"b c"d y') == ['x=a"b c"d', "y"]


@pytest.mark.parametrize("word,expected", [
    ("quiet", ("quiet", None)),
    ("crashkernel=256M", ("crashkernel", "256M")),
    ('foo="a b"', ("foo", "a b")),
    ('"foo=a b"', ("foo", "a b")),
    ('"quiet"', ("quiet", None)),
    ("a=b=c", ("a", "b=c")),
    ("=a=b", ("=a", "b")),
    ("k=", ("k", "")),
    ('k="', ("k", "")),
])
def test_key_value(word: str, expected: tuple) -> None:
    assert cl.key_value(word) == expected


def test_get_params() -> None:
    line = 'crashkernel=1G quiet crashkernel=512M,high crashkernel xcrashkernel=9 crashkernel="2G" crashkernel_x=1'
    assert cl.get_params(line, "crashkernel") == ["1G", "512M,high", "", "2G"]
    assert cl.get_params(FEDORA, "crashkernel") == ["4G-16G:768M,16G-64G:1G,64G-128G:2G"]
    assert cl.get_params(FEDORA, "rhgb") == [""]
    assert cl.get_params(FEDORA, "nosuch") == []
    # A parameter inside a quoted value is not a word of its own.
    assert cl.get_params('foo="x crashkernel=1G"', "crashkernel") == []


def test_set_param_replaces_in_place() -> None:
    new = cl.set_param(FEDORA, "crashkernel", "crashkernel=2G-64G:256M,64G-:512M")
    assert new == FEDORA.replace("crashkernel=4G-16G:768M,16G-64G:1G,64G-128G:2G", "crashkernel=2G-64G:256M,64G-:512M")
    assert cl.set_param(new, "crashkernel", "crashkernel=2G-64G:256M,64G-:512M") == new


def test_set_param_removes_every_form_at_first_position() -> None:
    line = "ro crashkernel=512M,high quiet crashkernel=128M,low xcrashkernel=1 crashkernel=64M,cma crashkernel rhgb"
    assert cl.set_param(line, "crashkernel", "crashkernel=1G") == "ro crashkernel=1G quiet xcrashkernel=1 rhgb"
    assert cl.set_param(line, "crashkernel", None) == "ro quiet xcrashkernel=1 rhgb"


def test_set_param_appends() -> None:
    assert cl.set_param("ro quiet", "crashkernel", "crashkernel=256M") == "ro quiet crashkernel=256M"
    assert cl.set_param("ro quiet\n", "crashkernel", "crashkernel=256M") == "ro quiet crashkernel=256M\n"
    assert cl.set_param("", "crashkernel", "crashkernel=256M") == "crashkernel=256M"
    assert cl.set_param("\n", "crashkernel", "crashkernel=256M") == "crashkernel=256M\n"
    assert cl.set_param("ro quiet -- single", "crashkernel", "crashkernel=1G") == "ro quiet crashkernel=1G -- single"


def test_set_param_keeps_other_bytes() -> None:
    line = "  ro  quiet\tcrashkernel=1G  rhgb \n"
    assert cl.set_param(line, "crashkernel", "crashkernel=2G") == "  ro  quiet\tcrashkernel=2G  rhgb \n"
    assert cl.set_param(line, "crashkernel", None) == "  ro  quiet  rhgb \n"
    first = "crashkernel=1G ro quiet\n"
    assert cl.set_param(first, "crashkernel", None) == "ro quiet\n"
    assert cl.set_param("crashkernel=1G\n", "crashkernel", None) == "\n"


def test_set_param_unchanged_without_match_and_token() -> None:
    assert cl.set_param(FEDORA, "nosuch", None) == FEDORA


def test_set_param_quoted_words() -> None:
    line = 'ro foo="crashkernel=9G x" "crashkernel=1G" quiet'
    # '"crashkernel=1G"' has the key crashkernel for the kernel; the one inside foo's value does not.
    assert cl.set_param(line, "crashkernel", "crashkernel=2G") == 'ro foo="crashkernel=9G x" crashkernel=2G quiet'
    assert cl.set_param(line, "foo", 'foo="a b"') == 'ro foo="a b" "crashkernel=1G" quiet'


def test_set_param_refusals() -> None:
    with pytest.raises(EditError):
        cl.set_param("ro -- crashkernel=1G", "crashkernel", "crashkernel=2G")
    with pytest.raises(EditError):
        cl.set_param('ro foo="unterminated', "crashkernel", "crashkernel=2G")
    for bad in ("crashkernel=1G quiet", "xcrashkernel=1G", "crashkernel=\"1G", ""):
        with pytest.raises(EditError):
            cl.set_param("ro", "crashkernel", bad)
    with pytest.raises(ValueError):
        cl.set_param("ro", "crash kernel", None)


def test_set_param_replacing_inside_unterminated_line_is_allowed() -> None:
    # The matched word is before the open quote, so replacing it is exact.
    assert cl.set_param('crashkernel=1G foo="x', "crashkernel", "crashkernel=2G") == 'crashkernel=2G foo="x'
