"""Diff + plan time and peak memory for a large identity config, against a bare
``jsonpatch.make_patch`` over the same two documents, at 1x, 4x and 16x the base size
(5 000 allowed return URLs, 50 OIDC providers, 200 hooks, 20 identity schemas)."""

from __future__ import annotations

import base64
import json
import sys
import tracemalloc
from functools import partial
from pathlib import Path
from typing import Any

import jsonpatch

if __package__ in (None, ""):  # run as `python bench/<name>.py`: find the packages
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import median_seconds, milliseconds
from reconciler.diff import DiffRules, compute_diff
from reconciler.plan import make_plan

FLOWS = ("login", "registration", "settings", "recovery", "verification")
SCALES = (1, 4, 16)
# Runs per scale: bare jsonpatch takes minutes at 16x, so fewer runs as the size grows.
RUNS_AT = {1: 5, 4: 3, 16: 1}


def _schema(index: int) -> dict[str, Any]:
    schema = {"$id": f"https://schemas.acme.test/{index}", "type": "object", "title": f"S{index}"}
    encoded = base64.b64encode(json.dumps(schema).encode()).decode()
    return {"id": f"schema-{index}", "url": f"base64://{encoded}"}


def _hook(index: int, variant: str) -> dict[str, Any]:
    return {
        "hook": "web_hook",
        "config": {
            "url": f"https://hooks.acme.test/{variant}/{index}",
            "method": "POST",
            "body": "base64://ZnVuY3Rpb24oY3R4KSBjdHg=",
        },
    }


def config(scale: int, variant: str) -> dict[str, Any]:
    """A large identity config; ``variant`` changes about one value in ten."""
    urls = [
        f"https://app{i}.acme.test/{variant if i % 10 == 0 else 'x'}" for i in range(5000 * scale)
    ]
    providers = [
        {
            "id": f"idp-{i}",
            "provider": "generic",
            "client_id": f"{variant if i % 10 == 0 else 'c'}-{i}",
            "issuer_url": f"https://idp{i}.acme.test",
            "mapper_url": "base64://e30=",
        }
        for i in range(50 * scale)
    ]
    hooks_per_flow = 200 * scale // len(FLOWS)
    flows = {
        flow: {
            "after": {
                "hooks": [
                    _hook(i, variant if i % 10 == 0 else "same") for i in range(hooks_per_flow)
                ]
            }
        }
        for flow in FLOWS
    }
    return {
        "selfservice": {
            "allowed_return_urls": urls,
            "methods": {"oidc": {"enabled": True, "config": {"providers": providers}}},
            "flows": flows,
        },
        "identity": {
            "default_schema_id": "schema-0",
            "schemas": [_schema(i) for i in range(20 * scale)],
        },
    }


def _reconciler(desired: dict[str, Any], live: dict[str, Any]) -> object:
    diff = compute_diff(desired, live, (), DiffRules())
    return make_plan("bench", "bench target", "revision", diff)


def measure() -> list[dict[str, float]]:
    rows = []
    for scale in SCALES:
        desired, live = config(scale, "desired"), config(scale, "live")
        runs, warm_up = RUNS_AT[scale], scale < 16
        ours = median_seconds(partial(_reconciler, desired, live), runs, warm_up)
        bare = median_seconds(partial(jsonpatch.make_patch, live, desired), runs, warm_up)
        rows.append({"scale": scale, "ours": ours, "bare": bare, "peak": _peak(desired, live)})
    return rows


def _peak(desired: dict[str, Any], live: dict[str, Any]) -> float:
    """Peak bytes allocated by one diff + plan (the two documents already in memory)."""
    tracemalloc.start()
    _reconciler(desired, live)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return float(peak)


def document_megabytes(scale: int) -> float:
    return len(json.dumps(config(scale, "desired"))) / 1e6


def report(rows: list[dict[str, float]]) -> list[str]:
    lines = [
        "| size | JSON | diff + plan | bare `make_patch` | ratio | vs 1x | peak memory |",
        "|---|---|---|---|---|---|---|",
    ]
    base = rows[0]["ours"]
    for row in rows:
        scale = int(row["scale"])
        lines.append(
            f"| {scale}x | {document_megabytes(scale):.1f} MB | {milliseconds(row['ours'])} | "
            f"{milliseconds(row['bare'])} | {row['ours'] / row['bare']:.2f}x | "
            f"{row['ours'] / base:.1f}x | {row['peak'] / 1e6:.1f} MB |"
        )
    worst = max(row["ours"] / row["bare"] for row in rows)
    verdict = "meets" if worst <= 3 else "misses"
    lines += [
        "",
        f"Runs per size (median; warm-up except at 16x): {RUNS_AT}.",
        "",
        f"Target: within 3x of bare `jsonpatch.make_patch` — {verdict} it (worst {worst:.2f}x).",
    ]
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure())))
