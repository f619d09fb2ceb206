"""`python -m desktop` runs the `fieldbrief` command."""

import sys

from desktop.cli import main

sys.exit(main())
