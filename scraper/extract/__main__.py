"""`python -m scraper.extract`."""

import sys

from scraper.extract.cli import main

sys.exit(main())
