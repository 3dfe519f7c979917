"""The floor every stage stands on for files: JSONL records, atomic writes, content fingerprints,
and the one rule for "did the settings of a finished output change?".

Nothing here imports a stage; every stage may import it.
"""
