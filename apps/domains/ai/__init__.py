"""The ai domain: models, services (writes) and selectors (reads) shared by the API and the workers."""
