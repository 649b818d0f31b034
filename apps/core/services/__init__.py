"""Core services: functions that write (the HackSoft split; reads are in apps.core.selectors)."""
