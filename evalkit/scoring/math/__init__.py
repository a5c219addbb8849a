"""MATH answers: final-answer extraction and a safe symbolic equivalence checker (no eval)."""
