"""The app as ASGI servers import it."""

import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import gc
import muster.api.asgi
print(gc.get_freeze_count(), len(gc.get_objects()))
"""


def test_imported_app_leaves_its_lasting_objects_out_of_garbage_collection(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "MUSTER_DATABASE_URL": f"sqlite:///{tmp_path / 'muster.db'}"}

    run = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )

    frozen, watched = (int(number) for number in run.stdout.split())
    # What stays in sight is what was made after the freeze: a few objects.
    assert frozen > 100_000
    assert watched < 100
