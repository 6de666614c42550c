"""``python -m lifecheck`` is the same as the ``lifecheck`` command."""

import sys

from .cli import main

sys.exit(main())
