"""``python -m pysie``: the command line (:mod:`pysie.cli`)."""

from pysie.cli import main

raise SystemExit(main())
