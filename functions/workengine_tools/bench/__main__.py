"""``python -m workengine_tools.bench``."""

from __future__ import annotations

import sys

from workengine_tools.bench.runner import main

sys.exit(main())
