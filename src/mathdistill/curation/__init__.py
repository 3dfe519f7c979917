"""Curation: graded samples -> training sets (positives, negatives, DARS selection, TRL formats).

Entry points: `importers.import_pool` (released teacher pools -> samples dir) and
`pipeline.curate` (samples dir -> curated folder). Heavy modules are imported lazily.
"""
