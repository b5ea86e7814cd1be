"""scripts/architecture.py: each figure counts what it says, on small graphs and a toy package."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts import architecture

ROWS = [["pkg.top"], ["pkg.middle_a", "pkg.middle_b"], ["pkg.base"]]


def test_contract_layers_lists_each_row_of_the_first_layers_contract(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        textwrap.dedent(
            """
            [[tool.importlinter.contracts]]
            name = "libraries"
            type = "forbidden"
            source_modules = ["pkg"]
            forbidden_modules = ["httpx"]

            [[tool.importlinter.contracts]]
            name = "layers"
            type = "layers"
            layers = ["pkg.top", "pkg.middle_a | pkg.middle_b : (pkg.optional)", "pkg.base"]
            """
        ),
        encoding="utf-8",
    )
    assert architecture.contract_layers(pyproject) == [
        ["pkg.top"],
        ["pkg.middle_a", "pkg.middle_b", "pkg.optional"],
        ["pkg.base"],
    ]


def test_a_module_sits_in_the_row_of_its_nearest_listed_package() -> None:
    assert architecture.layer_of("pkg.middle_b.inner.deep", ROWS) == 1
    assert architecture.layer_of("pkg.base", ROWS) == 2
    assert architecture.layer_of("pkg.unlisted", ROWS) is None


def test_circles_are_the_groups_that_reach_each_other() -> None:
    graph = {
        "a": frozenset({"b"}),
        "b": frozenset({"c"}),
        "c": frozenset({"a", "d"}),
        "d": frozenset({"e"}),
        "e": frozenset({"d"}),
        "f": frozenset({"a"}),
    }
    assert architecture.circles(graph) == (("a", "b", "c"), ("d", "e"))
    assert architecture.circles({"a": frozenset({"b"}), "b": frozenset()}) == ()


def test_an_upward_import_goes_into_a_higher_row() -> None:
    graph = {
        "pkg.top": frozenset({"pkg.base"}),
        "pkg.middle_a": frozenset({"pkg.middle_b", "pkg.top"}),
        "pkg.base": frozenset({"pkg.middle_a.inner"}),
        "pkg.middle_a.inner": frozenset(),
    }
    assert architecture.upward_imports(graph, ROWS) == (
        ("pkg.base", "pkg.middle_a.inner"),
        ("pkg.middle_a", "pkg.top"),
    )


def test_a_call_climbs_into_a_higher_row_or_into_a_module_not_imported() -> None:
    graph = {
        "pkg.top": frozenset({"pkg.middle_a"}),
        "pkg.middle_a": frozenset({"pkg.base"}),
        "pkg.base": frozenset({"pkg.top"}),  # an upward import: still a climb by row
        "pkg.middle_b": frozenset(),
    }
    reached = architecture.reach(graph)
    assert not architecture.is_climb("pkg.top", "pkg.base", ROWS, reached)  # through middle_a
    assert architecture.is_climb("pkg.base", "pkg.top", ROWS, reached)
    assert architecture.is_climb("pkg.middle_a", "pkg.middle_b", ROWS, reached)
    assert not architecture.is_climb("pkg.top", "pkg.top", ROWS, reached)


@pytest.fixture
def toy_package(tmp_path: Path) -> Iterator[str]:
    """``toy.high`` imports ``toy.low`` and hands it a callback."""
    package = tmp_path / "toy"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "low.py").write_text(
        "def call(callback):\n    return callback() + 1\n", encoding="utf-8"
    )
    (package / "high.py").write_text(
        "from toy import low\n\ndef run():\n    return low.call(lambda: 1)\n", encoding="utf-8"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield "toy"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "toy" or m.startswith("toy.")]:
            del sys.modules[name]


def test_a_callback_handed_down_is_one_climb(toy_package: str) -> None:
    from toy import high  # type: ignore[import-not-found]

    calls = architecture.trace_calls(high.run, package=toy_package)
    assert set(calls) == {
        (("toy.high", "run"), ("toy.low", "call")),
        (("toy.low", "call"), ("toy.high", "run.<locals>.<lambda>")),
    }
    graph = {"toy.high": frozenset({"toy.low"}), "toy.low": frozenset()}
    rows = [["toy.high"], ["toy.low"]]
    assert architecture.climbs(calls, rows, architecture.reach(graph)) == (
        ("toy.low.call", "toy.high.run.<locals>.<lambda>"),
    )


@pytest.mark.ory_server
def test_the_package_keeps_its_shape() -> None:
    """The figures docs/architecture.md reports, held: no circle, nothing running up the
    layers, at most 12 modules loose at the top, and planning one environment climbs back up
    at most 8 times (callbacks handed down)."""
    report = architecture.measure()
    assert report.circles == ()
    assert report.upward == ()
    assert len(report.top_level) <= 12, report.top_level
    assert len(report.climbs) <= 8, report.climbs
