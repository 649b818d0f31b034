"""Domain support for ai: queue services and the work its worker does."""
