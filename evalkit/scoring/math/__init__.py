"""MATH answers: extraction of the final answer and a safe symbolic equivalence checker on sympy (no eval)."""
