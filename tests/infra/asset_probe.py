"""Runs inside the clean asset environment (only boto3 + the asset on sys.path), like a Lambda cold start:
imports one handler, checks where it came from, optionally invokes it with one event.

Usage: python asset_probe.py SPEC.json — the spec names ``handler``, ``asset_roots``, ``event`` (or
null) and ``result`` (the file to write the JSON result to; stdout is the function's log)."""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

FORBIDDEN = ("workengine_tools", "moto", "yaml", "jwt", "pytest", "aws_cdk")


class Context:
    function_name = "asset-probe"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:asset-probe"
    aws_request_id = str(uuid.uuid4())
    log_group_name = "/aws/lambda/asset-probe"
    log_stream_name = "probe"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    result: dict[str, Any] = {
        "importable_forbidden": [name for name in FORBIDDEN if importlib.util.find_spec(name) is not None]
    }
    module_name, _, attribute = spec["handler"].rpartition(".")
    started = time.perf_counter()
    module = importlib.import_module(module_name)
    result["import_seconds"] = time.perf_counter() - started
    handler = getattr(module, attribute)
    result["callable"] = callable(handler)
    # The asset, the runtime's own packages (boto3 & co. in this venv) and the standard library.
    allowed = [str(Path(root).resolve()) for root in spec["asset_roots"]]
    allowed += [str(Path(sys.prefix).resolve()), str(Path(sys.base_prefix).resolve())]
    result["loaded_from_elsewhere"] = sorted(
        {
            f"{name}: {path}"
            for name, loaded in list(sys.modules.items())
            if name not in ("__main__", "__mp_main__")
            and (path := getattr(loaded, "__file__", None))
            and not any(str(Path(path).resolve()).startswith(root) for root in allowed)
        }
    )
    result["module_file"] = module.__file__
    if spec.get("event") is not None:
        result["response"] = handler(spec["event"], Context())
    Path(spec["result"]).write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
