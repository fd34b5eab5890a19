"""The machine a run is on: CPU threads per training process and the CPU's bfloat16 support.

Training sets its torch threads from :func:`cpu_threads` and warns through :func:`cpu_precision`
(:func:`~ganzoo.training.gan_module.prepare_trainer`); the zoo builds (``bench/zoo/make_entry.py``: the cards'
hardware line, :func:`cpu_name`) and the benches use the same rules.
"""

from __future__ import annotations

import os
import platform
from typing import Any


def cpu_threads(processes: int = 1) -> int:
    """Torch threads per training process on the CPU: the cores this process may run on (its affinity mask, which
    ``taskset``, Slurm's ``--cpus-per-task`` and containers set), shared by the ``processes`` processes of this
    machine. torch's own default counts the machine's physical cores, which oversubscribes a restricted job."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores // max(1, processes))


def cpu_bf16(cpuinfo: str = "/proc/cpuinfo") -> list[str] | None:
    """The CPU's bfloat16 instructions (``["AMX-BF16", "AVX512-BF16"]`` or a part of it) from ``cpuinfo``;
    ``[]`` for an x86 CPU without them, where bf16 autocast is emulated (measured: a DCGAN-size iteration about 3x
    slower than float32); ``None`` where unknown (no ``/proc/cpuinfo``, or no x86 ``flags`` line)."""
    try:
        with open(cpuinfo) as f:
            info = f.read()
    except OSError:
        return None
    line = next((ln for ln in info.splitlines() if ln.startswith("flags")), None)
    if line is None:
        return None
    flags = set(line.split(":", 1)[1].split())
    return [label for flag, label in (("amx_bf16", "AMX-BF16"), ("avx512_bf16", "AVX512-BF16")) if flag in flags]


def cpu_precision(precision: Any, cpuinfo: str = "/proc/cpuinfo") -> str:
    """The precision a CPU run of a recipe that says ``precision`` uses on this machine: ``"32-true"`` in place of a
    bf16 precision on an x86 CPU without bf16 instructions (:func:`cpu_bf16` is ``[]``: emulated bf16 is about 3x
    slower than float32 there), else ``precision`` as given. Training's warning, the zoo builds
    (``bench/zoo/make_entry.py``) and the zoo rows of ``bench/perf/speed.py`` all go through it."""
    precision = str(precision)
    return "32-true" if precision.startswith("bf16") and cpu_bf16(cpuinfo) == [] else precision


def cpu_name(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The CPU's model name from ``cpuinfo`` with its bf16 instructions (see :func:`cpu_bf16`): ``"... (AMX-BF16,
    AVX512-BF16)"``, ``"... (no bf16)"`` on an x86 CPU without them, the bare name where unknown (the cards'
    hardware line)."""
    try:
        with open(cpuinfo) as f:
            info = f.read()
    except OSError:
        return platform.processor() or platform.machine()
    name = next((ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("model name")),
                platform.machine())
    bf16 = cpu_bf16(cpuinfo)
    return name + (f" ({', '.join(bf16)})" if bf16 else " (no bf16)" if bf16 == [] else "")
