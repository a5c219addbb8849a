"""The engine: the async pipeline that turns planned samples into scored results (solvers, retries, adaptive concurrency, the response cache, option ranking, progress display)."""
