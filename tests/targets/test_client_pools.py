"""The API client sends through one connection pool per thread.

plan --all has a request in flight per environment; httpcore's pool looks at every connection
it holds on every request it starts or ends, so one pool shared by 200 threads cost a sixth of
the process's CPU. (The rate-limit pacer stays one per client: tests/targets/test_pacing.py.)
"""

from __future__ import annotations

import threading

from reconciler.targets.client import OryClient

from ory_server import OryTestServer


def _get_from_threads(client: OryClient, project_id: str, threads: int) -> None:
    workers = [
        threading.Thread(target=client.get_project, args=(project_id,)) for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=10)


def test_each_thread_sends_through_its_own_pool_and_close_closes_them_all(
    ory_server: OryTestServer,
) -> None:
    client = OryClient(ory_server.base_url, ory_server.workspace_key)
    _get_from_threads(client, ory_server.project_id, 3)
    client.get_project(ory_server.project_id)
    client.get_project(ory_server.project_id)  # this thread's pool again
    pools = list(client._pools)
    assert len(pools) == 4
    assert len(ory_server.requests) == 5  # every request got through
    client.close()
    assert all(pool.is_closed for pool in pools)
    assert client._pools == []
