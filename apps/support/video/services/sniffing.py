"""What container a file is, from its first bytes: the upload's name and Content-Type are
the client's say-so and are never trusted.

    sniff(head) -> Container("mp4", "mp4") | None

Recognises the containers lecture videos come in: ISO-BMFF (MP4, MOV, M4V, 3GP),
Matroska/WebM, AVI, MPEG transport and program streams, FLV and ASF/WMV. Audio-only
ISO-BMFF brands (M4A, M4B) are refused here; anything else that passes but holds no
video stream is refused by the worker's probe.
"""

from dataclasses import dataclass

# Enough for every signature below, including three MPEG-TS packets.
SNIFF_BYTES = 4096

_AUDIO_ONLY_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
_ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")


@dataclass(frozen=True)
class Container:
    name: str
    extension: str


def sniff(head: bytes) -> Container | None:
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AUDIO_ONLY_BRANDS:
            return None
        if brand == b"qt  ":
            return Container("mov", "mov")
        if brand.startswith(b"3g"):
            return Container("3gp", "3gp")
        return Container("mp4", "mp4")
    if len(head) >= 8 and head[4:8] in _QUICKTIME_ATOMS:
        return Container("mov", "mov")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Container("webm", "webm") if b"webm" in head[:64] else Container("matroska", "mkv")
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return Container("avi", "avi")
    if head.startswith(b"FLV\x01"):
        return Container("flv", "flv")
    if head.startswith(_ASF_GUID):
        return Container("asf", "wmv")
    if head.startswith(b"\x00\x00\x01\xba"):
        return Container("mpeg-ps", "mpg")
    if _is_transport_stream(head, 188, 0) or _is_transport_stream(head, 192, 4):
        return Container("mpeg-ts", "ts")
    return None


def _is_transport_stream(head: bytes, packet: int, offset: int) -> bool:
    """Three sync bytes (0x47) a packet apart: 188-byte TS, or 192-byte M2TS (Blu-ray, AVCHD)."""
    positions = [offset + packet * i for i in range(3)]
    return len(head) > positions[-1] and all(head[p] == 0x47 for p in positions)
