"""Matrix products in numpy: each worker multiplies `rounds` pairs of integer matrices.

numpy comes from requirements.txt; a BLAS routine in C does the products with
the GIL released, so this workload is evidence about C libraries called from
threads, not about the interpreter (KIND = "c_library").

Every worker does the whole job (weak scaling): round r multiplies a shifted
copy of A by B, and the task returns the sum of the entries of every product.
All entries are whole numbers and every sum stays far below 2**53, so float64
is exact whatever order BLAS adds in. expected() checks the answer another
way: the entries of A @ B add up to (column sums of A) . (row sums of B), in
numpy's integer arithmetic, without BLAS and without any product.
"""

import os

# One BLAS thread per worker, so that the workers are the only parallelism
# measured; set before numpy is imported (here, or in a worker process).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy  # noqa: E402

SCALING = "weak"
KIND = "c_library"
MODES = ("sequential", "threads", "processes")

DEFAULT_SIZE = 256
DEFAULT_ROUNDS = 32


def matrices(size):
    """Two fixed size x size int64 matrices with entries in -8..8."""
    i = numpy.arange(size, dtype=numpy.int64).reshape(-1, 1)
    j = numpy.arange(size, dtype=numpy.int64).reshape(1, -1)
    return (i * 7 + j * 13 + i * j) % 17 - 8, (i * 5 + j * 3 + 1) % 17 - 8


def shifted(a, r):
    """Round r's left matrix: A with every entry moved r steps along -8..8."""
    return (a + r) % 17 - 8


def setup(params, workers):
    """A and B as float64, made once before the clock starts and shared by every worker."""
    a, b = matrices(params.get("size", DEFAULT_SIZE))
    return a.astype(numpy.float64), b.astype(numpy.float64)


def task(params, index, workers, state):
    """The sum of the entries of every round's product; the same for every worker."""
    a, b = state
    total = 0.0
    for r in range(params.get("rounds", DEFAULT_ROUNDS)):
        total += float((shifted(a, r) @ b).sum())
    return total


def expected(params, workers):
    """Every worker's sum from column and row sums in int64, times the workers."""
    a, b = matrices(params.get("size", DEFAULT_SIZE))
    row_sums = b.sum(axis=1)
    one = sum(int(shifted(a, r).sum(axis=0) @ row_sums) for r in range(params.get("rounds", DEFAULT_ROUNDS)))
    return float(workers * one)
