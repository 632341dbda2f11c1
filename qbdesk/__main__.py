"""``python -m qbdesk …``: the same as the ``qbdesk`` command (where no script is on PATH)."""

import sys

from qbdesk.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
