"""A TCP proxy that a test can take down and bring back: an endpoint outage on demand.

    proxy = FlakyProxy("127.0.0.1", sqs_port).start()
    proxy.down()      # open connections are cut; new ones are accepted and closed at once
    ...               # proxy.connections_while_down counts them: how hard a client retries
    proxy.up()        # traffic flows to the target again
    proxy.down_after(7 * 2**20)   # goes down by itself once clients have sent that many bytes
    proxy.down_after(7 * 2**20, for_seconds=3)   # ... and comes back up 3 s later
    proxy.stop()

It listens on 127.0.0.1 and an ephemeral port (proxy.url).
"""

import socket
import threading


class FlakyProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections_while_down = 0
        self.connections = 0
        self._up = True
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._stopped = False
        self.sent_upstream = 0  # bytes clients sent through the proxy
        self._down_at: int | None = None
        self._down_for: float | None = None

    def start(self) -> "FlakyProxy":
        threading.Thread(target=self._accept, name="proxy", daemon=True).start()
        return self

    def down(self) -> None:
        with self._lock:
            self._up = False
            self.connections_while_down = 0
            open_sockets, self._open = self._open, set()
        for sock in open_sockets:
            _close(sock)

    def up(self) -> None:
        with self._lock:
            self._up = True

    def down_after(self, sent_bytes: int, *, for_seconds: float | None = None) -> None:
        """Takes the proxy down, mid-request, once clients have sent sent_bytes more bytes:
        a connection lost half way through an upload; back up for_seconds later if given."""
        with self._lock:
            self._down_at = self.sent_upstream + sent_bytes
            self._down_for = for_seconds

    def stop(self) -> None:
        self._stopped = True
        self.down()
        _close(self._listener)

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                if not self._up:
                    self.connections_while_down += 1
                    _close(client)
                    continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            for src, dst, counted in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pipe, args=(src, dst, counted), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, counted: bool) -> None:
        try:
            while data := src.recv(65536):
                if counted and self._count(len(data)):
                    self.down()
                    if self._down_for is not None:
                        threading.Timer(self._down_for, self.up).start()
                    return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                _close(sock)
            with self._lock:
                self._open.discard(src)
                self._open.discard(dst)


    def _count(self, sent: int) -> bool:
        """Adds bytes sent upstream; True when that reaches the armed down_after() point."""
        with self._lock:
            self.sent_upstream += sent
            if self._down_at is not None and self.sent_upstream >= self._down_at:
                self._down_at = None
                return True
        return False


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
