"""Worker index's contiguous share of range(n): a helper module that good/workload.py imports."""


def share(n, index, workers):
    return index * n // workers, (index + 1) * n // workers
