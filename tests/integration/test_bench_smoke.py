"""The benchmark's quick run: every figure it can measure comes out with plausible numbers, as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workengine_tools.bench.runner import main
from workengine_tools.cli.main import build_parser


@pytest.mark.slow
def test_quick_bench_writes_request_counts_and_latency_as_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"

    code = main(["--quick", "--only", "requests", "--only", "latency", "--only", "sweep", "--json", str(out)])

    assert code == 0
    report = json.loads(out.read_text())
    assert report["machine"]["nproc"] >= 1
    requests = {row["operation"]: row for row in report["figures"]["dynamodb_requests"]["rows"]}
    creates = [row for name, row in requests.items() if name.startswith("create bundle")]
    assert len(creates) == 2 and all(row["requests"] == 1 for row in creates)
    assert requests["get bundle"]["by DynamoDB operation"] == "Query 1"
    assert requests["list my tasks (page of 25)"]["requests"] == 1
    assert requests["complete task (with proof)"]["by DynamoDB operation"] == "Query 2, TransactWriteItems 1"
    flips = requests["complete a task that flips two conditions"]
    # + 1 Query: the renewal's conditions read the usage review's assistant output (its jobs, one Query)
    assert flips["by DynamoDB operation"] == "Query 3, TransactWriteItems 1"
    latency = report["figures"]["handler_latency"]["rows"]
    assert {row["operation"] for row in latency} == set(requests)
    assert all(
        row["handler p50 ms"] > 0 and row["floor p50 ms"] > 0 and row["ratio p50"] > 0 for row in latency
    )
    sweep = report["figures"]["sweep_reads"]
    assert sweep["available"] or sweep["notes"][0].startswith("not available yet")


def test_bench_is_a_workengine_subcommand() -> None:
    args = build_parser().parse_args(["bench", "--quick", "--json", "out.json"])

    assert args.quick and args.json_path == Path("out.json")
