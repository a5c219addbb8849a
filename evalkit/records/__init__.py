"""Run records: the schema and I/O of run.json and samples.jsonl, provenance, summaries, resume, rescore, publish and run discovery."""
