"""qbdesk — expert review desk for the Shenzhen quality-and-brand special fund."""

__version__ = "0.1.0"
