"""STORAGES["default"] on a fresh directory per test: the filesystem backend, as the
embedded default configures it. Needs pytest-django's `settings` fixture.

    from tools.testing.media_storage import media_root  # noqa: F401 (in a conftest.py)

    def test_x(media_root):      # the directory stored files land in
        ...
"""

import pytest


@pytest.fixture
def media_root(settings, tmp_path):
    root = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(root), "base_url": "/media/", "allow_overwrite": True}},
    }
    return root
