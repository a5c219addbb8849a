"""Long-context evaluation: seeded needle-in-a-haystack and RULER-style tests, sized exactly.

The package owns the synthetic long-context data of the ``niah`` and ``ruler`` tasks:

* :mod:`~evalkit.longctx.grid`: the grid read from ``-T`` (subtasks, lengths, depths);
* :mod:`~evalkit.longctx.subtasks` and :mod:`~evalkit.longctx.words`: seeded needles, keys,
  values and questions; :mod:`~evalkit.longctx.rows`: one row per grid cell, stable ids;
* :mod:`~evalkit.longctx.haystack`: filler text of ``n`` units with the needles inserted;
* :mod:`~evalkit.longctx.sizing`: the search for the largest haystack that fits the budget;
* :mod:`~evalkit.longctx.source`: ``SOURCE``, the ``[dataset] generator`` of the tasks;
* :mod:`~evalkit.longctx.scorer`: RULER's ``string_match_all`` / ``string_match_part``.

Token counting itself lives with the backends (:mod:`evalkit.backends.tokenizers`).
"""
