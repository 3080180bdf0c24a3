"""The dump level's bits as named page kinds (makedumpfile(8) -d)."""

from __future__ import annotations

import pytest

from kdumpwiz.engine.dumplevel import describe, kinds_of, level_of


def test_every_level_round_trips_through_its_names():
    for level in range(32):
        assert level_of(kinds_of(level)) == level


@pytest.mark.parametrize("level, names, words", [
    (31, ["zero", "cache", "private", "user", "free"],
     "leaves out zero pages, page cache, page cache with private data, user process pages and free pages"),
    (1, ["zero"], "leaves out zero pages"),
    (17, ["zero", "free"], "leaves out zero pages and free pages"),
    (0, [], "keeps every page"),
])
def test_known_levels(level, names, words):
    assert kinds_of(level) == names and describe(level) == words


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="unknown page kind 'swap'"):
        level_of(["zero", "swap"])
    with pytest.raises(ValueError):
        kinds_of(32)
