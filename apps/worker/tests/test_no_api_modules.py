"""Booting a worker loads no API-side module: checked in a fresh interpreter per entry point."""

import json
import subprocess
import sys

import pytest

ENTRY_MODULES = [
    "apps.worker.video.sqs_main",
    "apps.worker.ai.sqs_main_cpu",
    "apps.worker.ai.sqs_main_gpu",
    "apps.worker.messaging.sqs_main",
]
FORBIDDEN_ROOTS = ("rest_framework", "drf_yasg", "gunicorn", "apps.api")

PROBE = """
import importlib, json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "apps.worker.settings"
import django
django.setup()
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize("module", ENTRY_MODULES)
def test_entry_module_loads_no_api_side_module(module, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, module],
        capture_output=True, text=True, check=False,
        env={"PYTHONPATH": ":".join(sys.path), "DJANGO_DEBUG": "1", "ACADEMY_DATA_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert "django" in loaded, "the probe did not boot Django"
    leaked = [m for m in loaded if m.split(".")[0] in FORBIDDEN_ROOTS or m.startswith("apps.api")]
    assert not leaked, f"{module} loaded {leaked}"
