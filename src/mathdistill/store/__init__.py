"""The samples folder: what a sampling run writes and every later stage reads."""
