"""The platform left running for a person, until Ctrl-C:

    tools/bazel run //:dev [-- --port 8000] [--db sqlite|postgres] [--data DIR]

The same processes as the demo (moto's SQS, the API under gunicorn with DJANGO_DEBUG=1,
the three workers), then an academy ("dev-academy") and a new API key for it, printed with
the URLs: Swagger UI at http://127.0.0.1:PORT/swagger/ ("Authorize" with `Api-Key <key>`).
--db postgres runs it on a private PostgreSQL server in a temporary directory, removed
on exit, instead of the SQLite file.

Exit status: 0 after Ctrl-C (or SIGTERM) stopped everything cleanly; 1 when the platform
could not start or a process died while running.
"""

import argparse
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from tools.dev.demo.cli import output_dir, stop_on_sigterm
from tools.testing.local_platform import LocalPlatform, PlatformError

DEFAULT_PORT = 8000


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="dev", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="the API's port (default: %(default)s)")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite",
                        help="the database (default: %(default)s)")
    parser.add_argument("--data", type=Path, metavar="DIR",
                        help="where the database, media and logs go (default: a new temporary directory)")
    return parser.parse_args(argv)


def postgres_url(stack: ExitStack) -> str:
    from tools.testing import postgres

    try:
        server = postgres.start_for_program(Path(tempfile.mkdtemp(prefix="academy-dev-pg-")))
    except RuntimeError as exc:
        raise PlatformError(f"--db postgres: {exc}") from None
    stack.callback(server.stop)
    return server.create_database("academy")


def main(argv=None) -> int:
    args = parse_args(argv)
    root = output_dir(args.data) if args.data else Path(tempfile.mkdtemp(prefix="academy-dev-"))
    stop_on_sigterm()
    with ExitStack() as stack:
        try:
            database_url = postgres_url(stack) if args.db == "postgres" else ""
            platform = LocalPlatform(root, database_url=database_url, debug=True, inherit_environment=True)
            stack.callback(platform.stop)
            platform.start_all(port=args.port, on_ready=lambda what: print(f"  {what}", flush=True))
            academy_key = platform.api_key("dev-academy", name="Dev Academy")
            print(f"""
The platform is running ({platform.database}).
  Swagger UI     {platform.api_url}/swagger/
  ReDoc          {platform.api_url}/redoc/
  academy key    {academy_key}
  operator key   {platform.operator_key}   (staff: tenants, top-ups)
  logs           {platform.logs}
In Swagger UI, "Authorize" with: Api-Key <key>. Ctrl-C stops everything.""", flush=True)
            while True:
                platform.check_alive()
                time.sleep(1)
        except KeyboardInterrupt:
            print("\nstopping...", flush=True)
            return 0
        except PlatformError as exc:
            print(f"dev: {exc}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
