"""Runs every benchmark; each prints its ratios."""

from __future__ import annotations

import os

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-2")
os.environ.setdefault("AWS_REGION", "eu-west-2")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")

from bench import bench_due_work, bench_schedule, bench_status


def main() -> None:
    bench_schedule.run()
    bench_status.run()
    bench_due_work.run()


if __name__ == "__main__":
    main()
