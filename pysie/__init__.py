"""pysie: software-intelligence-explosion models declared once, solved in numpy,
generated as live Excel workbooks, recalculated headlessly and cross-checked."""

__version__ = "0.1.0"
