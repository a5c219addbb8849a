"""The engine: the async pipeline that turns planned samples into scored results.

Solvers, retries, adaptive concurrency, the response cache, option ranking, progress display.
"""
