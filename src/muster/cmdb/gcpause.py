"""Pausing Python's cyclic garbage collector around work that builds many lasting objects.

Parsing a file of Observations or ingesting a batch creates hundreds of
thousands of small objects that all live until the work ends. Each survives
the young generations, so the collector runs full collections over the whole
heap again and again and frees almost nothing: measured, two thirds of the
time of parsing 200k Observations, a third of ingesting them. Nothing this
work builds needs the collector to be freed (ingest's working set breaks its
own reference cycles), so the collector waits until it is done.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the duration, if it was running."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
