"""Statistics: means, standard errors, confidence intervals and paired tests."""
