"""asv benchmarks of ibbench (see docs/performance.md): one module per area, ``bench_<area>.py``."""
