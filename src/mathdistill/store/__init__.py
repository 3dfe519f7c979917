"""The samples folder: what a sampling run writes and every later stage reads.

`samples` owns the folder (file names, `SamplesDir` and its readers, the one stats.jsonl schema,
the one fail-rate reader, the resume guard); `combine` joins folders (shards of one run, rounds of
iterative RFT); `difficulty` holds the one Prop2Diff target rule.
"""
