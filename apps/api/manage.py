"""Django's management commands with the API's settings (migrate, makemigrations, shell, ...).

    tools/bazel run //apps/api:manage -- migrate
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.api.config.settings")
    # Under `bazel run`, work on the source tree: relative paths (the SQLite file) mean the
    # workspace, and makemigrations writes new migrations next to the models, not into runfiles.
    workspace = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    if workspace:
        os.chdir(workspace)
        sys.path.insert(0, workspace)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
