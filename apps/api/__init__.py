"""The HTTP API (Django REST Framework). Nothing outside this layer may import it."""
