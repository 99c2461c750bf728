"""Tooling output: progress only on a terminal, bench goals marked PASS/MISS with ``--check``, one request
log line per local request."""

from __future__ import annotations

import argparse
import io
import threading
import time
import urllib.request
from typing import Any

import pytest

from workengine_tools.bench import runner
from workengine_tools.bench.figure import Figure
from workengine_tools.cli import output
from workengine_tools.local.http_server import LocalApi, make_server


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given: stderr is a terminal
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)

    # When: work reports its count
    with output.progress("exporting tenant acme") as show:
        show(1200)

    # Then: a live counter was drawn there
    assert "exporting tenant acme" in terminal.getvalue() and "1200 records" in terminal.getvalue()

    # And off a terminal nothing is drawn
    plain = io.StringIO()
    monkeypatch.setattr("sys.stderr", plain)
    with output.progress("exporting") as show:
        show(5)
    assert plain.getvalue() == ""


def figure(key: str, met: bool | None) -> Figure:
    return Figure(key=key, title=f"figure {key}", columns=["x"], rows=[{"x": 1}], goal="x <= 1", goal_met=met)


def bench_args(check: bool) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    runner.add_arguments(parser)
    return parser.parse_args(["--quick", *(["--check"] if check else [])])


def test_bench_marks_each_goal_and_check_fails_on_a_miss(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given: one goal met, one missed, one figure without a goal
    figures = [figure("a", True), figure("b", False), Figure(key="c", title="figure c", columns=[])]
    monkeypatch.setattr(runner, "run_figures", lambda config, only=None: figures)

    # When / Then: the report marks both, and only --check turns the miss into a failing exit
    assert runner.run(bench_args(check=False)) == 0
    printed = capsys.readouterr().out
    assert "goal: x <= 1  [PASS]" in printed and "goal: x <= 1  [MISS]" in printed
    assert "goals: 1 PASS, 1 MISS" in printed and "MISS: figure b" in printed
    assert runner.run(bench_args(check=True)) == 1
    figures[1].goal_met = True
    assert runner.run(bench_args(check=True)) == 0


def test_the_local_server_logs_one_line_per_request() -> None:
    # Given: a local server whose handler answers 200
    lines: list[tuple[str, str, int, float]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}

    server = make_server(LocalApi(handler, "secret"), "127.0.0.1", 0, lambda *line: lines.append(line))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # When
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/health?x=1", timeout=10):
            pass
    finally:
        server.shutdown()
        server.server_close()

    # Then: method, path (no query), status and duration
    assert len(lines) == 1
    method, path, status, seconds = lines[0]
    assert (method, path, status) == ("GET", "/health", 200) and 0 <= seconds < 10


def test_request_log_line_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    from workengine_tools.local.http_server import log_request

    log_request("PATCH", "/tasks/t_1", 409, 0.0123)
    assert capsys.readouterr().err == "PATCH /tasks/t_1 409 12.3 ms\n"


def test_the_local_backend_server_runs_one_request_at_a_time() -> None:
    # Given: a WSGI app that records how many requests run inside it at once
    from workengine_tools.local.moto_backend_server import one_at_a_time

    inside, peak = [0], [0]

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        inside[0] += 1
        peak[0] = max(peak[0], inside[0])
        time.sleep(0.005)
        inside[0] -= 1
        return [b"ok"]

    serial = one_at_a_time(app)

    # When: eight threads call it together
    threads = [threading.Thread(target=serial, args=({}, lambda *a: None)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then: never two at once
    assert peak[0] == 1
