"""python -m parbench.report, with the arguments the report rules pass."""

import sys

from ._cli import main

sys.exit(main())
