"""Core selectors: functions that read (writes are in apps.core.services)."""
