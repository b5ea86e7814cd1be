"""What every benchmark needs: timing, medians, machine facts."""

from __future__ import annotations

import os
import platform
import statistics
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
        f"- Python: {sys.version.split()[0]} ({platform.python_implementation()}), "
        f"`{sys.executable}`",
        f"- Cold-start figures are the median of {RUNS} runs after one warm-up run; diff figures",
        "  as stated in their section.",
    ]


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
