"""Database connections of long-lived worker threads.

Django opens a connection per request and closes it when the request ends, unless
CONN_MAX_AGE keeps it (DATABASE_URL's conn_max_age: 60 s for PostgreSQL unless set, 0 for
SQLite). A worker has a few threads that live as long as the process, so reconnecting for
every job only adds latency (a PostgreSQL connection costs milliseconds, more with TLS).
Before each job a thread keeps its connection, replacing it only when it broke (an error
left it unusable: a database restart, a network cut) or when a non-zero CONN_MAX_AGE says
it is too old. Connections stay bounded: one per job thread, plus the
heartbeat's and the main thread's.
"""

from django.db import connections


def refresh_connections() -> None:
    for connection in connections.all(initialized_only=True):
        if connection.settings_dict.get("CONN_MAX_AGE") or connection.connection is None:
            connection.close_if_unusable_or_obsolete()
        elif connection.errors_occurred:
            if connection.is_usable():
                connection.errors_occurred = False
            else:
                connection.close()
