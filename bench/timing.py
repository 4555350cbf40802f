"""Interleaved timing: alternating the cases in one run cancels most of a noisy neighbour's effect."""

from __future__ import annotations

import time
from collections.abc import Callable
from statistics import median


def compare(cases: dict[str, Callable[[], object]], rounds: int = 7) -> dict[str, float]:
    """Median seconds per case, the cases run alternately round by round."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, case in cases.items():
            started = time.perf_counter()
            case()
            samples[name].append(time.perf_counter() - started)
    return {name: median(values) for name, values in samples.items()}


def report(title: str, timings: dict[str, float], baseline: str, unit_count: int = 1) -> None:
    print(f"\n{title}")
    base = timings[baseline]
    for name, seconds in timings.items():
        print(f"  {name:<44} {seconds / unit_count * 1e6:>12.1f} µs   ratio {seconds / base:>6.2f}x")
