"""What every benchmark needs: timing, medians, machine facts."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUNS = 7


def median_seconds(action: Callable[[], object], runs: int = RUNS, warm_up: bool = True) -> float:
    """Median wall time of ``runs`` calls (after one warm-up call, not counted)."""
    if warm_up:
        action()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    return [
        f"- Machine: {platform.system()} {platform.release()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs ({cpu})",
        f"- Python: {sys.version.split()[0]} ({platform.python_implementation()})",
    ]


def compile_package() -> None:
    """Byte-compile the package, as ``pip install`` does: a user's first run does not compile
    (this matters where ``PYTHONDONTWRITEBYTECODE`` is set, as on the benchmark machine)."""
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    command = [sys.executable, "-m", "compileall", "-q", str(REPO / "reconciler")]
    subprocess.run(command, check=True, env=environ)
    environ_site = [sys.executable, "-m", "compileall", "-q", *_site_packages()]
    subprocess.run(environ_site, check=False, env=environ, capture_output=True)


def _site_packages() -> list[str]:
    import site

    return [path for path in site.getsitepackages() if Path(path).is_dir()]


def load_note() -> str:
    """How busy the machine was while measuring (other work shares its cores)."""
    one, five, _ = os.getloadavg()
    return (
        f"Load average while measuring: {one:.2f} (1 min), {five:.2f} (5 min) on "
        f"{os.cpu_count()} CPUs; figures on a quieter machine are lower."
    )


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def write_section(lines: list[str], path: Path, start: str, end: str) -> None:
    """Replace one benchmark's ``start``..``end`` section of ``path`` (or append it), leaving
    the other benchmarks' sections alone."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = "\n".join(lines)
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
