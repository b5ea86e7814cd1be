"""The depth measure every JSON reader is bounded by (``reconciler/limits.py``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.limits import TooDeepError, loads_json, nesting_depth

# Every test here reads input a stranger may write: under a memory limit (conftest.py).
pytestmark = pytest.mark.hostile

JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(alphabet='[]{}"\\a', max_size=4)),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=25,
)


def _depth_by_definition(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth_by_definition(child) for child in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth_by_definition(child) for child in value), default=0)
    return 0


@given(JSON)
def test_nesting_depth_counts_containers_inside_each_other(value: Any) -> None:
    assert nesting_depth(value) == _depth_by_definition(value)


@pytest.mark.parametrize("depth", [0, 1, 5, 100])
def test_loads_json_reads_up_to_the_limit_and_refuses_one_level_more(depth: int) -> None:
    text = "[" * depth + '"[[["' + "]" * depth
    assert nesting_depth(loads_json(text, max_depth=depth)) == depth
    with pytest.raises(TooDeepError, match=f"nested deeper than {depth - 1} levels"):
        loads_json(text, max_depth=depth - 1)
    assert json.loads(text) == loads_json(text, max_depth=depth)
