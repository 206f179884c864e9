"""TCP port helpers for the local stack."""

import socket

from infra.local.errors import LocalStackError


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on ``host`` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Tell whether nothing listens on ``host:port`` and it can be bound.

    Both checks matter: a JVM bound to 0.0.0.0 does not always make a bind on 127.0.0.1 fail
    (SO_REUSEADDR semantics differ by platform), but it does accept connections.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        if probe.connect_ex((host, port)) == 0:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Like the servers we start (http.server, Jetty): TIME_WAIT leftovers of a previous run
        # do not make the port busy, a listener does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def require_free_port(port: int, host: str = "127.0.0.1", *, setting: str = "another port") -> None:
    """Raise :class:`LocalStackError` naming the fix when ``host:port`` is taken."""
    if not port_is_free(port, host):
        raise LocalStackError(f"port {port} is in use: stop what uses it or set {setting}")
