"""The console script: answers ``--version`` before importing anything else.

Even click costs ~30 ms to import; a version check in a pipeline should cost no more than
starting Python. Everything else goes to ``cli.main``, with ``faulthandler`` on: should a
native library ever crash the process (SIGSEGV, SIGABRT…), its Python stack is printed on
stderr instead of the run ending without a word (issue 21).
"""

from __future__ import annotations

import faulthandler
import sys

from reconciler import __version__


def main() -> int:
    if sys.argv[1:] == ["--version"]:
        print(f"reconciler, version {__version__}")
        return 0
    faulthandler.enable()  # built in, microseconds: a stack for any future native crash
    from reconciler.cli import main as cli_main

    return cli_main()
