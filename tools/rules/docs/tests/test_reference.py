"""docs/rules/*.md are exactly what generate_reference.py writes from tools/rules/**/*.bzl."""

import os
import pathlib
import subprocess
import sys

COMMAND = "tools/bazel run //tools/rules/docs:generate_reference"

# Under Bazel the runfiles hold the .bzl files and the pages (the test's data); run directly,
# the test reads the source tree.
if "TEST_SRCDIR" in os.environ:
    ROOT = pathlib.Path(os.environ["TEST_SRCDIR"]) / "academy"
else:
    ROOT = pathlib.Path(__file__).resolve().parents[4]
GENERATOR = ROOT / "tools" / "rules" / "docs" / "generate_reference.py"
PAGES = ROOT / "docs" / "rules"


def test_the_reference_pages_are_up_to_date(tmp_path):
    result = subprocess.run([sys.executable, str(GENERATOR), "--root", str(ROOT), "--out", str(tmp_path)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    generated = {p.name: p.read_bytes() for p in tmp_path.glob("*.md")}
    checked_in = {p.name: p.read_bytes() for p in PAGES.glob("*.md")}
    assert generated, "the generator wrote no page"
    for name in sorted(generated.keys() | checked_in.keys()):
        page = f"docs/rules/{name}"
        assert name in checked_in, f"{page} is missing: run {COMMAND}"
        assert name in generated, (f"{page} matches no rule set of tools/rules (or the set's :bzl_files is not in "
                                   f"//tools/rules/docs:reference_test's data): remove it, or run {COMMAND}")
        assert checked_in[name] == generated[name], f"{page} is out of date: run {COMMAND}"
