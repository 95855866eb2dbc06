"""Contract tests: Microsoft's data-plane facts and the parity of our generated OpenAPI file."""
