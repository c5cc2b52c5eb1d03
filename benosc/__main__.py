"""``python -m benosc`` is the ``benosc`` command."""

import sys

from benosc.cli import main

sys.exit(main())
