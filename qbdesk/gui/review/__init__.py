"""The expert's window: reading, scoring, overview and the shell around them."""
