"""Evaluator reports: Excel and HTML."""
