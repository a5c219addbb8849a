"""Run records: the schema and I/O of run.json and samples.jsonl.

Also provenance, summaries, resume, rescore, publish and run discovery.
"""
