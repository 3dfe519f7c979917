"""The `mathdistill` command line. Each stage registers its commands in its own module."""
