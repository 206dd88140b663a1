"""The measured computations, free of any timing or process machinery.

Each workload is a function of its parameters that returns a float checksum.
The Go harness implements the same functions; both must return bit-identical
checksums for the same parameters, which is what lets parbench claim that the
runtimes it compares did the same work.
"""

from __future__ import annotations

from typing import Callable


def cpu_loop(iterations: int) -> float:
    """Sum (i*i)/(i+1) in float64 for i = 0 .. iterations-1, in order.

    i*i stays below 2**53 for every iteration count parbench uses, so the
    integer-to-float conversion is exact and the division correctly rounded
    in Python and Go alike: the sums agree to the last bit.
    """
    total = 0.0
    for i in range(iterations):
        total += (i * i) / (i + 1)
    return total


WORKLOADS: dict[str, Callable[[int], float]] = {
    "cpu_loop": cpu_loop,
}
