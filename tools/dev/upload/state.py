"""The resume state file: where it lies (one per file, platform and lecture), loading it,
saving it atomically, forgetting it."""

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from tools.dev.upload.progress import Log


@dataclass
class State:
    api: str
    lecture: str
    path: str
    size: int
    mtime_ns: int
    part_size: int
    md5s: list[str]  # hex, parts 1, 2, ... as far as they are checksummed (at the platform's part size)
    upload_id: str


def default_state_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "academy-upload"


def state_file(state_dir: str | os.PathLike | None, path: str, api: str, lecture: str) -> Path:
    """One state file per (file, platform, lecture): the same video may go to two lectures."""
    name = hashlib.sha256("\0".join([path, api, lecture]).encode()).hexdigest()
    return Path(state_dir or default_state_dir()) / f"{name}.json"


def load_state(file: Path, log: Log) -> State | None:
    try:
        return State(**json.loads(file.read_text()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        log(f"ignoring the unreadable state file {file}: {exc}")
        return None


def save_state(file: Path, state: State) -> None:
    """Written to a temporary name and renamed, so a crash leaves the old state or the new."""
    file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = file.with_name(f"{file.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(asdict(state), indent=1))
    os.replace(temporary, file)


def forget_state(file: Path) -> None:
    file.unlink(missing_ok=True)
