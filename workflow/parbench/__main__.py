"""`python -m parbench`, the same as the `parbench` command."""

import sys

from .cli import main

sys.exit(main())
