"""The API client's threads share a few connection pools, taken in turn.

plan --all has a request in flight per environment; httpcore's pool looks at every connection
it holds on every request it starts or ends, so one pool shared by 200 threads cost a sixth of
the process's CPU. (The rate-limit pacer stays one per client: tests/targets/test_pacing.py.)
"""

from __future__ import annotations

import threading

from reconciler.targets.client import _POOLS, OryClient

from ory_server import OryTestServer


def _get_from_threads(client: OryClient, project_id: str, threads: int) -> None:
    workers = [
        threading.Thread(target=client.get_project, args=(project_id,)) for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=10)


def test_threads_take_the_pools_in_turn_and_close_closes_them_all(
    ory_server: OryTestServer,
) -> None:
    client = OryClient(ory_server.base_url, ory_server.workspace_key)
    _get_from_threads(client, ory_server.project_id, 3)
    assert len(client._pools) == 3  # one each while there are few
    _get_from_threads(client, ory_server.project_id, _POOLS + 5)
    pools = list(client._pools)
    assert len(pools) == _POOLS  # then they share
    assert len(ory_server.requests) == _POOLS + 8  # every request got through
    client.close()
    assert all(pool.is_closed for pool in pools)
    assert client._pools == []
