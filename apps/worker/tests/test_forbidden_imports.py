"""The forbidden-import checker on the real source tree: nothing reachable from a worker
imports the API layer, DRF, drf-yasg, gunicorn or a views/serializers/urls module."""

import os
import pathlib

from tools.dev.checks.check_worker_forbidden_imports import main

# Runfiles are links into the source tree: follow one back to the workspace root.
WORKSPACE = pathlib.Path(os.path.realpath("apps/worker/video/sqs_main.py")).parents[3]


def test_the_real_tree_is_clean(capsys):
    assert (WORKSPACE / "WORKSPACE").exists(), WORKSPACE
    code = main(["--root", str(WORKSPACE)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("OK:") and "no forbidden imports" in out
