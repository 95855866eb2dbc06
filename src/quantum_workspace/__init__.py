"""A local Azure Quantum workspace."""
