"""Benchmarks: `make bench`. Each prints ratios measured within one run, since this machine is shared."""
