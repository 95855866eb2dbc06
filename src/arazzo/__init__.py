"""Arazzo 1.0.x workflow engine."""
