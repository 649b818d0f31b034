"""Runs pytest on the files Bazel passes as arguments, inside the test's sandbox."""

import os
import sys

import pytest


def main() -> int:
    args = [
        "-p", "no:cacheprovider",  # the runfiles tree is read-only
        "--rootdir", os.getcwd(),
        "-o", "console_output_style=classic",
    ]
    xml = os.environ.get("XML_OUTPUT_FILE")
    if xml:
        args += ["--junitxml", xml]
    # Test sharding and filters from `bazel test --test_filter=...` map onto -k.
    test_filter = os.environ.get("TESTBRIDGE_TEST_ONLY")
    if test_filter:
        args += ["-k", test_filter]
    return pytest.main(args + sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
