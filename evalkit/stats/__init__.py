"""Statistics: means, standard errors and confidence intervals, and paired tests for compare and gate."""
