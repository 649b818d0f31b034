"""Domain support for video: queue services and the work its worker does."""
