"""``python -m pysie``: the same command line as the ``pysie`` script."""

from pysie.cli import main

raise SystemExit(main())
