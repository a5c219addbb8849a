"""``python -m evalkit.cli``: the console script."""

import sys

from evalkit.cli import main

sys.exit(main())
