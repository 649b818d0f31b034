"""Shared domain and infrastructure: base models, tenants, the Django settings base."""
