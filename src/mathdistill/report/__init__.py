"""Self-contained HTML reports comparing eval runs, training runs and curation outputs."""
