"""`python -m migrator`: the command line (migrator/cli.py).

A short-lived process: what importing made lives until exit, so it is moved out of the cyclic
collector's way once imported (`gc.freeze`), and everything is again before exit, where the
interpreter's last collections would otherwise walk it all (about 100 ms of process time of a
`check`, more than our own run). Nothing is skipped: exit handlers and finalizers still run.
"""

import gc
import sys

from migrator.cli import main

gc.freeze()
code = main()
gc.freeze()
sys.exit(code)
