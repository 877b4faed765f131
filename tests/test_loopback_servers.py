"""The tests' own helpers for servers on loopback (conftest.py): a port that refuses, and a
server started again on new ports when its port was taken before it could bind it."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
from conftest import refusing_port, start_on_free_ports, start_oxigraph, stop


def test_a_refusing_port_refuses_and_cannot_be_taken() -> None:
    with refusing_port() as port:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5)
        with socket.socket() as other:  # even a socket that allows address reuse
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            with pytest.raises(OSError, match="Address already in use"):
                other.bind(("127.0.0.1", port))


def test_a_server_whose_port_was_taken_is_started_on_another(tmp_path: Path) -> None:
    """The first attempt is given a taken port: oxigraph exits saying so, and the second
    attempt, on a free port, answers."""
    tried: list[int] = []

    def start(ports: tuple[int, ...]) -> subprocess.Popen[bytes]:
        tried.append(taken if not tried else ports[0])
        log = tmp_path / f"server-{len(tried)}.log"
        return start_oxigraph("serve", tmp_path / "store", tried[-1], log)

    with refusing_port() as taken:
        server = start_on_free_ports(start)
    stop(server)
    assert len(tried) == 2 and tried[0] == taken
    assert "Address already in use" in (tmp_path / "server-1.log").read_text()
