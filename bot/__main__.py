"""`python -m bot`: the same command line as `oomlens`."""

import sys

from bot.cli import main

sys.exit(main())
