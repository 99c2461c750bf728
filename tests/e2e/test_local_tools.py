"""The local tools behave like AWS tools: refusals come as one clear line and a non-zero exit, never a
traceback or a hang; the local HTTP adapter answers malformed requests and repeats query parameters as
API Gateway does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from workengine_tools.cli.aws_config import is_loopback, use_endpoint
from workengine_tools.local.http_server import LocalApi, api_gateway_query, make_server

REPO = Path(__file__).resolve().parents[2]


def _cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workengine_tools.cli.main", *args],
        cwd=REPO,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WORKENGINE_"))}
    env["HOME"] = "/nonexistent"  # no ~/.aws profile either
    env.update(extra)
    return env


def test_serve_on_a_busy_port_says_so_and_exits_within_seconds() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        started = time.monotonic()

        result = _cli("serve", "--port", str(port), timeout=30)

    assert result.returncode != 0
    assert f"port {port} is in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 20


def test_serve_with_an_invalid_template_refuses_to_start(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "templates").mkdir(parents=True)
    (content / "templates" / "broken.yaml").write_text("template_id: broken\nversion: 0\ntitle: ''\n")
    (content / "docs.yaml").write_text("docs: {}\n")

    result = _cli(
        "serve", "--port", "0", "--moto-port", "0",
        env={**os.environ, "WORKENGINE_CONTENT_PATH": str(content)},
    )  # fmt: skip

    assert result.returncode != 0
    assert "not valid" in result.stderr and "broken" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_aws_error_in_a_cli_command_is_one_line_and_exit_1() -> None:
    # Given a loopback endpoint nothing listens on, and no region or credentials anywhere
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = _clean_env(AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}")

    result = _cli("sweep", env=env)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "NoRegionError" not in result.stderr and "NoCredentialsError" not in result.stderr
    assert result.stderr.strip().startswith("error: AWS") and len(result.stderr.strip().splitlines()) == 1


def test_a_loopback_endpoint_gets_a_region_and_dummy_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:8081")

    use_endpoint(None)

    assert os.environ["AWS_DEFAULT_REGION"] and os.environ["AWS_ACCESS_KEY_ID"]
    assert is_loopback("http://[::1]:1") and is_loopback("http://127.0.0.2:1")
    assert not is_loopback("https://dynamodb.eu-west-1.amazonaws.com")


def test_a_remote_endpoint_keeps_the_standard_credential_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://vpce.example.com")

    use_endpoint(None)

    assert "AWS_ACCESS_KEY_ID" not in os.environ


def test_repeated_query_parameters_are_joined_with_commas() -> None:
    assert api_gateway_query("limit=1&limit=1000&status=active") == {"limit": "1,1000", "status": "active"}
    assert api_gateway_query("a=&b=x") == {"a": "", "b": "x"}


@pytest.fixture
def echo_server() -> Iterator[tuple[int, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(event)
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}

    server = make_server(LocalApi(handler, "x" * 32), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", " "])
def test_a_malformed_content_length_answers_400(echo_server: tuple[int, list[Any]], length: str) -> None:
    port, seen = echo_server
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(f"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n{{}}".encode())
        chunks = []
        while chunk := conn.recv(4096):  # the server closes the connection after a 400
            chunks.append(chunk)
        answer = b"".join(chunks).decode()

    assert answer.startswith("HTTP/1.1 400"), answer
    assert '"code": "BAD_REQUEST"' in answer
    assert seen == []


def test_the_adapter_passes_repeated_parameters_joined(echo_server: tuple[int, list[Any]]) -> None:
    port, seen = echo_server
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"GET /health?limit=1&limit=1000 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        assert conn.recv(4096).startswith(b"HTTP/1.1 200")

    assert seen[0]["queryStringParameters"] == {"limit": "1,1000"}
