"""``python -m moscorpus``: the command line."""

from ._cli import main

main()
