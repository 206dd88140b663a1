"""The one exception type that reaches users as a single line."""

import os
import sys


class ParbenchError(Exception):
    """Bad input or a broken precondition, with a message that says how to fix it.

    Entry points print ``parbench: <message>`` and exit non-zero instead of a
    traceback, because the message, not the stack, is what the user needs.
    """


ERROR_FILE_VARIABLE = "PARBENCH_ERROR_FILE"


def main_guard(main):
    """Run an entry point, turning ParbenchError into one line and exit code 1.

    Under the workflow the line is also kept in the file PARBENCH_ERROR_FILE
    names, so the workflow can repeat it as the last thing the user sees.
    """

    def wrapped(argv=None):
        try:
            return main(argv)
        except ParbenchError as error:
            line = f"parbench: {error}"
            print(line, file=sys.stderr)
            remember(line, os.environ.get(ERROR_FILE_VARIABLE))
            return 1

    return wrapped


def remember(line: str, path: str | None) -> None:
    if not path:
        return
    try:
        with open(path, "a") as f:
            f.write(line.replace("\n", " ") + "\n")
    except OSError:
        pass
