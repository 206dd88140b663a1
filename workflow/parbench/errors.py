"""The one exception type that reaches users as a single line."""


class ParbenchError(Exception):
    """Bad input or a broken precondition, with a message that says how to fix it.

    Entry points print ``parbench: <message>`` and exit non-zero instead of a
    traceback, because the message, not the stack, is what the user needs.
    """


def main_guard(main):
    """Run an entry point, turning ParbenchError into one line and exit code 1."""
    import sys

    def wrapped(argv=None):
        try:
            return main(argv)
        except ParbenchError as error:
            print(f"parbench: {error}", file=sys.stderr)
            return 1

    return wrapped
