"""Stands in for a worker's code in the naive images (code size is negligible next to packages)."""
