"""Every worker returns n: no setup, no expected (a test fixture)."""


def task(params, index, workers, state):
    if state is not None:
        raise AssertionError(f"state should be None without setup, not {state!r}")
    return float(params["n"])
