"""Multiple-choice answers: reading the committed option letter (or option text) from a reply."""
