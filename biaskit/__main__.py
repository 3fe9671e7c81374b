"""``python -m biaskit`` is the ``biaskit`` command."""

import sys

from biaskit.cli import main

sys.exit(main())
