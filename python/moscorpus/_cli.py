"""The ``moscorpus`` console script the wheel installs: the same command line as the
binary, run by the native module."""

from __future__ import annotations

import signal
import sys

from . import _native


def main() -> None:
    # The command line catches SIGINT/SIGTERM itself (it winds down and exits 130/143);
    # Python's own handler would turn the same Ctrl-C into a traceback afterwards.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    sys.exit(_native.run_cli(["moscorpus", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
