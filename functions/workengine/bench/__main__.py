"""``python -m workengine.bench``."""

from __future__ import annotations

import sys

from workengine.bench.runner import main

sys.exit(main())
