"""`python -m pwlint` runs the same CLI as the `pwlint` script."""

import sys

from pwlint.cli import main

sys.exit(main())
