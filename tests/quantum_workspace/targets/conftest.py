"""Keep qdk's telemetry off for every test that compiles or simulates QIR."""

import os

os.environ["QDK_PYTHON_TELEMETRY"] = "none"
