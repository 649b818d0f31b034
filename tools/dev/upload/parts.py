"""The part plan: the platform's part size limits, how a file is cut into parts, each part's
MD5 as its Content-MD5 and ETag, and which parts the storage does not hold yet."""

import base64
import math
from dataclasses import dataclass

MiB = 2**20
DEFAULT_PART_SIZE = 16 * MiB
# S3's multipart limits, which the platform applies to both storages.
MIN_PART_SIZE = 5 * MiB
MAX_PART_SIZE = 5 * 2**30
MAX_PARTS = 10_000


@dataclass(frozen=True)
class Part:
    number: int
    offset: int
    size: int
    md5: bytes

    @property
    def content_md5(self) -> str:
        return base64.b64encode(self.md5).decode()

    @property
    def etag(self) -> str:
        return f'"{self.md5.hex()}"'


def fit_part_size(size: int, part_size: int) -> int:
    """The platform's own rule: parts grow (to whole MiB) where the file would need more than
    10,000. Applied here first so the file is usually checksummed once."""
    if math.ceil(size / part_size) > MAX_PARTS:
        return math.ceil(size / MAX_PARTS / MiB) * MiB
    return part_size


def split(size: int, part_size: int, md5s: list[bytes]) -> list[Part]:
    return [Part(i + 1, i * part_size, min(part_size, size - i * part_size), md5) for i, md5 in enumerate(md5s)]


def part_count(size: int, part_size: int) -> int:
    return max(1, math.ceil(size / part_size))



def same_etag(etag: str | None, md5: bytes) -> bool:
    return bool(etag) and etag.strip().strip('"').lower() == md5.hex()


def parts_to_send(parts: list[Part], stored: list[dict]) -> list[Part]:
    """The parts the storage does not hold whole: missing, another size, or other bytes."""
    held = {p.get("part_number"): p for p in stored}
    return [p for p in parts
            if not (p.number in held and held[p.number].get("size") == p.size
                    and same_etag(held[p.number].get("etag"), p.md5))]
