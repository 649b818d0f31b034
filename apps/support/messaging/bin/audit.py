"""The audit binary's entry: tools/bazel run //apps/support/messaging:audit [-- --tenant SLUG].

A script of its own directory: Python puts the script's directory first on sys.path, and
apps/support/messaging/ holds a selectors.py that would shadow the standard library's.
"""

import sys

from apps.support.messaging.audit import main

if __name__ == "__main__":
    sys.exit(main())
