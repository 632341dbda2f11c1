"""qbdesk — expert review desk for the Shenzhen quality-and-brand special fund."""

import os

__version__ = "0.1.0"

# pikepdf (blind-PDF cleaning) brings lxml, and openpyxl switches its xlsx writer to lxml when lxml is
# installed; that writer refuses text the standard-library one writes (a lone surrogate raises
# UnicodeEncodeError). Keep openpyxl on the standard library, as the sheet and roster code were built for.
os.environ.setdefault("OPENPYXL_LXML", "False")
