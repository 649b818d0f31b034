"""Sealing content keys: round trip, binding to the video, rotation, the settings value."""

import base64
import os
import subprocess
import sys
import uuid

import pytest

from apps.core.services.api_keys import create_tenant
from apps.core.settings.video_keys import KeyEncryptionKeysError, key_encryption_keys
from apps.domains.lectures import content_keys, services
from apps.domains.lectures.content_keys import ContentKeyUnavailable, seal, unseal

OLD, NEW = os.urandom(32), os.urandom(32)


def test_a_sealed_key_opens_for_its_video_only():
    video_id, key = uuid.uuid4(), content_keys.new_content_key().key
    sealed = seal(key, video_id=video_id)
    assert len(sealed) == content_keys.SEALED_BYTES and sealed[0] == content_keys.VERSION
    assert key not in sealed
    assert unseal(sealed, video_id=video_id) == key
    assert unseal(memoryview(sealed), video_id=str(video_id)) == key  # as a BinaryField may return it
    assert seal(key, video_id=video_id) != sealed  # a new nonce each time
    with pytest.raises(ContentKeyUnavailable, match="sealed for another video, or altered"):
        unseal(sealed, video_id=uuid.uuid4())
    altered = bytearray(sealed)
    altered[-1] ^= 1
    with pytest.raises(ContentKeyUnavailable, match="altered"):
        unseal(bytes(altered), video_id=video_id)
    with pytest.raises(ContentKeyUnavailable, match="not a sealed key"):
        unseal(sealed[:-1], video_id=video_id)


def test_new_content_keys_are_random_and_keep_the_key_out_of_their_repr():
    one, two = content_keys.new_content_key(), content_keys.new_content_key()
    assert len(one.key) == len(one.iv) == 16 and len(one.iv_hex) == 32
    assert one.key != two.key and one.iv != two.iv
    assert repr(one.key) not in repr(one) and one.key.hex() not in repr(one)


def test_rotation_old_keys_open_while_their_kek_is_listed(settings):
    video_id, key = uuid.uuid4(), os.urandom(16)
    settings.VIDEO_KEY_ENCRYPTION_KEYS = [OLD]
    sealed_with_old = seal(key, video_id=video_id)

    settings.VIDEO_KEY_ENCRYPTION_KEYS = [NEW, OLD]
    assert unseal(sealed_with_old, video_id=video_id) == key
    sealed_with_new = seal(key, video_id=video_id)
    assert sealed_with_new[1:9] == content_keys.fingerprint(NEW) != sealed_with_old[1:9]

    settings.VIDEO_KEY_ENCRYPTION_KEYS = [NEW]
    assert unseal(sealed_with_new, video_id=video_id) == key
    with pytest.raises(ContentKeyUnavailable) as raised:
        unseal(sealed_with_old, video_id=video_id)
    assert (f"sealed with key-encryption key {content_keys.fingerprint(OLD).hex()}, which "
            f"VIDEO_KEY_ENCRYPTION_KEYS does not hold") in str(raised.value)
    assert OLD.hex() not in str(raised.value)


def test_unset_the_kek_is_derived_from_the_secret_key(settings):
    video_id, key = uuid.uuid4(), os.urandom(16)
    settings.VIDEO_KEY_ENCRYPTION_KEYS = []
    sealed = seal(key, video_id=video_id)
    assert unseal(sealed, video_id=video_id) == key
    # Another process with the same SECRET_KEY derives the same KEK: the fingerprint is stable.
    assert sealed[1:9] == seal(key, video_id=video_id)[1:9]
    # Keys set later do not open it, and the message says where it came from.
    settings.VIDEO_KEY_ENCRYPTION_KEYS = [NEW]
    with pytest.raises(ContentKeyUnavailable, match="derived from DJANGO_SECRET_KEY"):
        unseal(sealed, video_id=video_id)
    # Nor does another SECRET_KEY.
    settings.VIDEO_KEY_ENCRYPTION_KEYS = []
    settings.SECRET_KEY = "another-secret"
    with pytest.raises(ContentKeyUnavailable, match="does not hold"):
        unseal(sealed, video_id=video_id)


def test_the_setting_takes_standard_and_urlsafe_base64():
    padded = base64.b64encode(OLD).decode()
    urlsafe = base64.urlsafe_b64encode(NEW).decode().rstrip("=")
    assert key_encryption_keys(f" {padded} , {urlsafe}") == [OLD, NEW]
    assert key_encryption_keys("") == [] and key_encryption_keys("  ") == []


@pytest.mark.parametrize("value, message", [
    ("not base64!", "key 1 is not base64"),
    (f"{base64.b64encode(OLD).decode()},{base64.b64encode(os.urandom(16)).decode()}", "key 2 is 16 bytes"),
    (f"{base64.b64encode(OLD).decode()},", "key 2 is empty"),
    (f"{base64.b64encode(OLD).decode()},{base64.b64encode(OLD).decode()}", "key 2 repeats"),
], ids=["not-base64", "wrong-length", "empty", "repeated"])
def test_bad_setting_values_are_refused_naming_the_variable(value, message):
    with pytest.raises(KeyEncryptionKeysError, match=f"^VIDEO_KEY_ENCRYPTION_KEYS: {message}"):
        key_encryption_keys(value)


def test_a_bad_setting_stops_the_settings_from_loading(tmp_path):
    env = {**os.environ, "VIDEO_KEY_ENCRYPTION_KEYS": "c2hvcnQ=", "ACADEMY_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", "import apps.core.settings.base"], env=env, capture_output=True,
                            text=True, check=False)
    assert result.returncode != 0
    assert "VIDEO_KEY_ENCRYPTION_KEYS: key 1 is 5 bytes; each key must be 32 bytes" in result.stderr


@pytest.mark.django_db
def test_ready_stores_the_sealed_key_and_iv_with_the_status():
    lecture = services.create_lecture(tenant=create_tenant(name="Daechi", slug="daechi"), title="Algebra")
    video = services.create_video(lecture=lecture, video_id=uuid.uuid4(), source_key="k/source.mp4",
                                  original_filename="a.mp4", size_bytes=10, container="mp4")
    video = services.start_processing(video=video)
    assert not video.is_protected
    content_key = content_keys.new_content_key()
    sealed = seal(content_key.key, video_id=video.id)
    services.mark_ready(video=video, renditions=[], hls_master_key="k/hls/master.m3u8", thumbnail_key="",
                        content_key_sealed=sealed, content_key_iv=content_key.iv_hex)
    video.refresh_from_db()
    assert video.status == "ready" and video.is_protected and video.content_key_iv == content_key.iv_hex
    assert unseal(video.content_key_sealed, video_id=video.id) == content_key.key


def test_sealing_needs_a_kek_the_api_holds_outside_debug(settings):
    settings.DEBUG, settings.VIDEO_KEY_ENCRYPTION_KEYS = False, []
    settings.SECRET_KEY = settings.DEVELOPMENT_SECRET_KEY
    assert "set VIDEO_KEY_ENCRYPTION_KEYS" in content_keys.sealing_problem()
    settings.SECRET_KEY = "the API's secret"
    assert content_keys.sealing_problem() is None
    settings.SECRET_KEY, settings.VIDEO_KEY_ENCRYPTION_KEYS = settings.DEVELOPMENT_SECRET_KEY, [NEW]
    assert content_keys.sealing_problem() is None
    settings.VIDEO_KEY_ENCRYPTION_KEYS, settings.DEBUG = [], True
    assert content_keys.sealing_problem() is None
