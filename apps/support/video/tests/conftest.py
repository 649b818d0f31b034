import pytest


@pytest.fixture
def media_root(settings, tmp_path):
    """STORAGES["default"] on a fresh directory (the filesystem backend, as configured by default)."""
    root = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(root), "base_url": "/media/", "allow_overwrite": True}},
    }
    return root
