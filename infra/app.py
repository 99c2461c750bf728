#!/usr/bin/env python3
"""CDK entry point (``cdk.json``): ``cdk synth``, ``cdk deploy -c stage=prod``."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The stack imports the table definition from the runtime package; works without an editable install.
for path in (ROOT / "functions", ROOT / "infra"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from workengine_infra.app import build_app  # noqa: E402

app, _stack = build_app()
app.synth()
