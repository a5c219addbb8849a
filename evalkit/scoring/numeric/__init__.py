"""Numeric answers (GSM8K): final-answer extraction (strict and flexible) and numeric comparison."""
