"""``python -m churnsurv report ...`` runs the command-line interface."""

import sys

from churnsurv.report.cli import main

sys.exit(main())
