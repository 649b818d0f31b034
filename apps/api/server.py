"""Serves the API with gunicorn (the Django dev server is for development only).

    tools/bazel run //apps/api:server -- --bind 127.0.0.1:8000 --workers 2

Any gunicorn option works; GUNICORN_CMD_ARGS is honoured as usual.
"""

import os
import sys

from gunicorn.app.wsgiapp import WSGIApplication


def main() -> None:
    if not os.environ.get("DJANGO_SECRET_KEY") and os.environ.get("DJANGO_DEBUG") != "1":
        sys.exit("api server: set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for development)")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.api.config.settings")
    args = sys.argv[1:]
    # gunicorn's control socket defaults to one path per home directory, and each server
    # replaces the socket it finds there: replicas and test servers would take each
    # other's. It stays off unless asked for.
    if not any(a.startswith("--control-socket") for a in args):
        args = ["--no-control-socket", *args]
    sys.argv = [sys.argv[0], *args, "apps.api.config.wsgi:application"]
    WSGIApplication("%(prog)s [OPTIONS]").run()


if __name__ == "__main__":
    main()
