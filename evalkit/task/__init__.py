"""Tasks: the typed task spec, discovery, data loading, prompt rendering and the plan."""
