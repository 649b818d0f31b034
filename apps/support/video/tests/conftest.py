from tools.testing.media_storage import media_root  # noqa: F401
