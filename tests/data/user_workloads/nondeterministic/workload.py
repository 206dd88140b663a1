"""A task whose value changes from loop to loop (a test fixture)."""

calls = 0


def task(params, index, workers, state):
    global calls
    calls += 1
    return float(calls)
