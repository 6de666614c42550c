"""``python -m lifecheck`` is the same as the ``lifecheck`` command."""

import sys

from lifecheck.cli import main

sys.exit(main())
