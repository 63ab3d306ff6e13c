"""``python -m churnsurv`` runs the command line interface."""

import sys

from churnsurv.cli import main

sys.exit(main())
