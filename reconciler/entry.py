"""The console script: answers ``--version`` before importing anything else.

Even click costs ~30 ms to import; a version check in a pipeline should cost no more than
starting Python. Everything else goes to ``cli.main``, with ``faulthandler`` on: should a
native library ever crash the process (SIGSEGV, SIGABRT…), its Python stack is printed on
stderr instead of the run ending without a word (issue 21).
"""

from __future__ import annotations

import faulthandler
import os
import sys

from reconciler import __version__

INTERRUPTED = (130, 143)  # SIGINT, SIGTERM (commands/context.py)


def main() -> int:
    if sys.argv[1:] == ["--version"]:
        print(f"reconciler, version {__version__}")
        return 0
    faulthandler.enable()  # built in, microseconds: a stack for any future native crash
    from reconciler.cli import main as cli_main

    code = cli_main()
    if code in INTERRUPTED and _threads_still_waiting():
        # plan A B C was interrupted while requests were in flight on other threads: the
        # interpreter would wait for their answers (up to the timeout) before exiting.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _threads_still_waiting() -> bool:
    import threading

    return any(t is not threading.main_thread() and t.is_alive() for t in threading.enumerate())
