"""What the figures were measured on: cores, CPU, memory, versions, and how busy the machine was."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 2**20, 1)
    return 0.0


def load_average() -> float:
    """The 1-minute load average: above the core count, other jobs were competing for the CPU."""
    return round(os.getloadavg()[0], 2)


def describe() -> dict[str, Any]:
    import numpy
    import torch

    return {"cores": os.cpu_count() or 1, "cpu": _cpu_model(), "memory_gib": _memory_gib(),
            "python": platform.python_version(), "numpy": numpy.__version__,
            "torch": torch.__version__, "load_average_start": load_average()}
