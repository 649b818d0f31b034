"""A TCP proxy that a test can take down and bring back: an endpoint outage on demand.

    proxy = FlakyProxy("127.0.0.1", sqs_port).start()
    proxy.down()      # open connections are cut; new ones are accepted and closed at once
    ...               # proxy.connections_while_down counts them: how hard a client retries
    proxy.up()        # traffic flows to the target again
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
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                _close(sock)
            with self._lock:
                self._open.discard(src)
                self._open.discard(dst)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
