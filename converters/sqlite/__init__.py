"""Sigma rules run in real SQLite through pySigma's sqlite backend (the `sigma` column)."""
