"""Tasks: the typed task spec (task.toml), discovery, dataset loading, prompt rendering and the plan made before the first request."""
