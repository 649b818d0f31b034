"""Domain support for messaging: queue services and the work its worker does."""
