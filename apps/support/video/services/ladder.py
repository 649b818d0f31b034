"""The HLS ladder: which renditions a source gets, never larger than the source.

A rung is named by the picture's short side (so a portrait phone video gets "720p" at
720x1280, as a landscape one gets 1280x720). A source at least as large as a rung gets
that rung; a source smaller than the lowest rung gets one rendition at its own size.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Rung:
    short_side: int
    video_kbps: int
    audio_kbps: int
    level: str  # H.264 level


LADDER = (
    Rung(1080, 5000, 128, "4.0"),
    Rung(720, 2800, 128, "3.1"),
    Rung(360, 800, 96, "3.0"),
)


@dataclass(frozen=True)
class Rendition:
    name: str
    width: int
    height: int
    video_kbps: int
    audio_kbps: int
    level: str

    @property
    def codecs_video(self) -> str:
        """RFC 6381 codec string: High profile (0x64), no constraints, the rung's level."""
        major, minor = self.level.split(".")
        return f"avc1.6400{int(major) * 10 + int(minor):02x}"


def renditions_for(width: int, height: int) -> list[Rendition]:
    """Highest first."""
    short = min(width, height)
    rungs = [rung for rung in LADDER if rung.short_side <= short]
    if not rungs:
        lowest = LADDER[-1]
        return [_scaled(width, height, _even(short), lowest)]
    return [_scaled(width, height, rung.short_side, rung) for rung in rungs]


def _scaled(width: int, height: int, short_side: int, rung: Rung) -> Rendition:
    if width >= height:
        out_h, out_w = short_side, _even(width * short_side / height)
    else:
        out_w, out_h = short_side, _even(height * short_side / width)
    return Rendition(f"{short_side}p", out_w, out_h, rung.video_kbps, rung.audio_kbps, rung.level)


def _even(value: float) -> int:
    """H.264 in 4:2:0 needs even dimensions; rounding down never exceeds the source."""
    return max(2, int(value // 2) * 2)
