"""Functions the worker tests run in a worker process (importable by name from the child)."""

from __future__ import annotations

import os
import time


def sleep_forever() -> None:
    while True:
        time.sleep(1)


def allocate(megabytes: int) -> int:
    block = bytearray(os.urandom(1024 * 1024)) * megabytes  # resident, not just reserved
    time.sleep(30)
    return len(block)


def pid() -> int:
    return os.getpid()


def die() -> None:
    os._exit(9)
