"""The shape of the ``reconciler`` package, measured (docs/architecture.md, "The figures").

Four figures, each one a question a reviewer would otherwise answer by reading code:

* **top level**: modules loose at the top of the package (``reconciler/*.py``);
* **circles**: groups of modules that import each other, directly or round a loop (the
  import graph is grimp's, the one import-linter checks the contracts on; imports made only
  for type checking count too, as they do there);
* **upward imports**: imports from a module into a higher layer of the ``layers`` contract in
  ``pyproject.toml`` (import-linter refuses them; the figure says how many it would);
* **climbs**: while ``plan_many`` plans one environment against the local Ory test server
  (``tests/ory_server.py``), the distinct calls (caller function -> callee function, both in
  the package, in different modules) that go back up: the callee's module sits in a higher
  layer than the caller's, or the caller's module does not import the callee's module, not
  even through others. Those are callbacks and closures handed down (a cache calling back
  into the loader that made it): code whose flow the imports do not show.

``python -m scripts.architecture`` prints them; ``tests/scripts/test_architecture.py`` holds
the package to its limits.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "reconciler"
# The example repository the climbs are measured on: its dev environment (Ory Network).
EXAMPLE_FOLDERS = ("environments", "schemas", "hooks", "examples")
EXAMPLE_ENVIRONMENT = "dev"
EXAMPLE_PROJECT = "6f0cae50-182d-8f7a-afdd-f83f3fa1f30c"

Graph = Mapping[str, frozenset[str]]  # module -> the package modules it imports directly
Call = tuple[str, str]  # "module.function" of the caller and of the callee


@dataclass(frozen=True)
class Report:
    top_level: tuple[str, ...]
    circles: tuple[tuple[str, ...], ...]
    upward: tuple[tuple[str, str], ...]
    climbs: tuple[Call, ...]

    def text(self) -> str:
        lines = [f"modules loose at the top of {PACKAGE}/: {len(self.top_level)}"]
        lines += [f"  {name}" for name in self.top_level]
        lines.append(f"import circles: {len(self.circles)}")
        lines += [f"  {' <-> '.join(circle)}" for circle in self.circles]
        lines.append(f"imports running up the layers: {len(self.upward)}")
        lines += [f"  {importer} -> {imported}" for importer, imported in self.upward]
        lines.append(f"climbs while planning one environment: {len(self.climbs)}")
        lines += [f"  {caller} -> {callee}" for caller, callee in self.climbs]
        return "\n".join(lines) + "\n"


# -- the contract ---------------------------------------------------------------------------


def contract_layers(pyproject: Path = ROOT / "pyproject.toml") -> list[list[str]]:
    """The rows of the first ``layers`` contract, top first, each row's modules listed
    (``|`` and ``:`` both separate modules of one row; parentheses mark optional ones)."""
    settings = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    contracts = settings["tool"]["importlinter"]["contracts"]
    layered = next(c for c in contracts if c["type"] == "layers" and "containers" not in c)
    return [
        [name.strip().strip("()") for name in re.split(r"[|:]", row) if name.strip()]
        for row in layered["layers"]
    ]


def layer_of(module: str, rows: Sequence[Sequence[str]]) -> int | None:
    """The row (0 = the top) of ``module``: its own, or the nearest package's that is listed;
    None when the contract does not place it."""
    candidate = module
    while candidate:
        for index, row in enumerate(rows):
            if candidate in row:
                return index
        candidate = candidate.rpartition(".")[0]
    return None


# -- the import graph -----------------------------------------------------------------------


def import_graph(package: str = PACKAGE) -> dict[str, frozenset[str]]:
    """Every module of ``package`` and the modules of ``package`` it imports directly."""
    import grimp

    graph = grimp.build_graph(package, cache_dir=None)
    return {
        module: frozenset(graph.find_modules_directly_imported_by(module))
        for module in sorted(graph.modules)
    }


def top_level_modules(package_dir: Path = ROOT / PACKAGE) -> tuple[str, ...]:
    return tuple(sorted(path.name for path in package_dir.glob("*.py")))


def circles(graph: Graph) -> tuple[tuple[str, ...], ...]:
    """The groups of two or more modules that reach each other through imports (the strongly
    connected components of the graph: Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[tuple[str, ...]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for child in sorted(graph[module] & graph.keys()):
            if child not in index:
                visit(child)
                low[module] = min(low[module], low[child])
            elif child in stack:
                low[module] = min(low[module], index[child])
        if low[module] == index[module]:
            group = stack[stack.index(module) :]
            del stack[stack.index(module) :]
            if len(group) > 1:
                found.append(tuple(sorted(group)))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return tuple(sorted(found))


def upward_imports(graph: Graph, rows: Sequence[Sequence[str]]) -> tuple[tuple[str, str], ...]:
    """``(importer, imported)`` where the imported module sits in a higher row."""
    upward = []
    for importer, imported_modules in graph.items():
        below = layer_of(importer, rows)
        for imported in imported_modules:
            above = layer_of(imported, rows)
            if below is not None and above is not None and above < below:
                upward.append((importer, imported))
    return tuple(sorted(upward))


def reach(graph: Graph) -> Callable[[str], frozenset[str]]:
    """``module -> every module it imports, directly or through others`` (remembered)."""
    known: dict[str, frozenset[str]] = {}

    def reached(module: str) -> frozenset[str]:
        if module not in known:
            seen: set[str] = set()
            pending = list(graph.get(module, ()))
            while pending:
                current = pending.pop()
                if current not in seen:
                    seen.add(current)
                    pending.extend(graph.get(current, ()))
            known[module] = frozenset(seen)
        return known[module]

    return reached


def is_climb(
    caller: str,
    callee: str,
    rows: Sequence[Sequence[str]],
    reached: Callable[[str], frozenset[str]],
) -> bool:
    """A call from module ``caller`` into module ``callee`` that goes back up: into a higher
    layer, or into a module ``caller`` does not import even through others."""
    if caller == callee:
        return False
    below, above = layer_of(caller, rows), layer_of(callee, rows)
    if below is not None and above is not None and above < below:
        return True
    return callee not in reached(caller)


# -- climbs ---------------------------------------------------------------------------------


def trace_calls(run: Callable[[], object], package: str = PACKAGE) -> Counter[tuple[Call, Call]]:
    """Run ``run`` and count each call from one module of ``package`` into another, as
    ``((caller module, caller function), (callee module, callee function))``, in every
    thread it starts."""
    calls: Counter[tuple[Call, Call]] = Counter()
    prefix = package + "."

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        if event != "call" or frame.f_back is None:
            return
        callee = str(frame.f_globals.get("__name__", ""))
        caller = str(frame.f_back.f_globals.get("__name__", ""))
        if callee == caller or not (callee + ".").startswith(prefix):
            return
        if not (caller + ".").startswith(prefix):
            return
        key = ((caller, frame.f_back.f_code.co_qualname), (callee, frame.f_code.co_qualname))
        calls[key] += 1

    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    return calls


def climbs(
    calls: Iterable[tuple[Call, Call]],
    rows: Sequence[Sequence[str]],
    reached: Callable[[str], frozenset[str]],
) -> tuple[Call, ...]:
    """The distinct calls that go back up (``is_climb``), as ``module.function`` pairs."""
    return tuple(
        sorted(
            {
                (f"{caller}.{caller_function}", f"{callee}.{callee_function}")
                for (caller, caller_function), (callee, callee_function) in calls
                if is_climb(caller, callee, rows, reached)
            }
        )
    )


def plan_one_environment() -> None:
    """``plan_many`` of the example repository's dev environment against the local Ory test
    server (tests/ory_server.py), as ``reconciler plan dev`` runs it."""
    sys.path.insert(0, str(ROOT / "tests"))
    from reconciler.usecases import reconcile

    from ory_server import OryTestServer

    settings_class = _settings_class()
    with OryTestServer() as server, tempfile.TemporaryDirectory() as folder:
        repo = Path(folder)
        for name in EXAMPLE_FOLDERS:
            shutil.copytree(ROOT / name, repo / name)
        environment = repo / "environments" / f"{EXAMPLE_ENVIRONMENT}.yaml"
        text = environment.read_text(encoding="utf-8")
        environment.write_text(text.replace(EXAMPLE_PROJECT, server.project_id), "utf-8")
        settings = settings_class(
            root=repo,
            environ={
                "ORY_WORKSPACE_API_KEY": server.workspace_key,
                "ORY_CONSOLE_API_URL": server.base_url,
            },
        )
        outcomes = reconcile.plan_many([EXAMPLE_ENVIRONMENT], settings)
        if outcomes[0].error:
            raise RuntimeError(f"planning {EXAMPLE_ENVIRONMENT} failed: {outcomes[0].error}")


def _settings_class() -> Any:
    """The use cases' settings, wherever the package keeps them."""
    import importlib

    for name in ("reconciler.usecases.steps", "reconciler.usecases.steps"):
        try:
            return importlib.import_module(name).Settings
        except ModuleNotFoundError:
            continue
    raise RuntimeError("no use-case settings found")


# -- the report -----------------------------------------------------------------------------


def measure(scenario: Callable[[], object] = plan_one_environment) -> Report:
    graph = import_graph()
    rows = contract_layers()
    reached = reach(graph)
    return Report(
        top_level=top_level_modules(),
        circles=circles(graph),
        upward=upward_imports(graph, rows),
        climbs=climbs(trace_calls(scenario), rows, reached),
    )


def main() -> int:
    print(measure().text(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
