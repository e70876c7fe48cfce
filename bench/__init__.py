"""Benchmarks: `make bench` (quick) or `make bench BENCH_ARGS=--full`. See bench/README.md."""
