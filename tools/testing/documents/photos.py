"""Filled answer sheets as a phone photographs them: on a desk, in perspective, under uneven
light with a shadow across the page, a little out of focus, JPEG-compressed.

    photo = sheet_photo(spec, questions=20, marks=marks, strength="phone", seed=3)
    photo.data       # the encoded file (JPEG unless fmt="png"/"heic"), as a phone uploads it
    photo.corners    # where the page's corners landed (TL, TR, BR, BL), in photo pixels
    photo.marks_in_frame   # whether all four corner marks are whole in the photo

STRENGTHS grades every effect together, from a flat scan-like photo to a hard one; the
evaluation set and the benchmark use all of them, the tests the ones the reader promises.
"""

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from apps.support.ai.services.omr_layout import SheetSpec
from apps.support.ai.services.omr_render import render_sheet


@dataclass(frozen=True)
class Strength:
    perspective: float  # each page corner moved by up to this share of the page's size
    turn_degrees: float  # the page turned by up to this much on the desk
    light: float  # brightness falls by up to this share across the photo
    shadow: float  # a soft shadow darkens part of the page by this share (0: none)
    blur_sigma: float  # Gaussian blur in photo pixels
    noise: float  # sensor noise, standard deviation in grey levels
    jpeg_quality: int


STRENGTHS = {
    "flat": Strength(perspective=0.0, turn_degrees=1.0, light=0.0, shadow=0.0, blur_sigma=0.0, noise=2.0,
                     jpeg_quality=95),
    "mild": Strength(perspective=0.03, turn_degrees=4.0, light=0.15, shadow=0.2, blur_sigma=0.5, noise=3.0,
                     jpeg_quality=85),
    "phone": Strength(perspective=0.07, turn_degrees=6.0, light=0.3, shadow=0.4, blur_sigma=1.0, noise=4.0,
                      jpeg_quality=70),
    "hard": Strength(perspective=0.11, turn_degrees=10.0, light=0.45, shadow=0.55, blur_sigma=1.6, noise=6.0,
                     jpeg_quality=50),
}

# Desk and table surfaces, BGR: dark and light wood, grey laminate, a dark desk mat, a white table.
DESKS = [(40, 75, 120), (95, 140, 185), (120, 122, 125), (45, 45, 50), (205, 208, 210)]


@dataclass(frozen=True)
class Photo:
    data: bytes
    corners: np.ndarray  # 4x2, TL, TR, BR, BL of the page in the photo
    size: tuple[int, int]  # width, height
    marks_in_frame: bool  # every corner mark whole inside the photo


def sheet_photo(spec: SheetSpec, *, questions: int, marks: dict[int, list[int]], strength: str | Strength = "phone",
                seed: int = 0, width: int = 1500, height: int = 2000, desk: tuple[int, int, int] | None = None,
                page_fill: float = 0.82, shift: tuple[float, float] = (0.0, 0.0), fmt: str = "jpeg") -> Photo:
    """The filled sheet photographed on a desk. page_fill: the page's height as a share of
    the photo's; shift moves the page by that share of the photo (to push a corner out)."""
    s = STRENGTHS[strength] if isinstance(strength, str) else strength
    rng = np.random.default_rng(seed)
    page = np.asarray(render_sheet(spec, questions=questions, dpi=200, marks=marks, seed=seed))
    ph, pw = page.shape
    base = DESKS[int(rng.integers(len(DESKS)))] if desk is None else desk
    photo = _desk(rng, width, height, base)

    # Where the page's corners land: centred, turned, each corner pushed about.
    page_h = height * page_fill
    page_w = page_h * pw / ph
    angle = np.radians(rng.uniform(-s.turn_degrees, s.turn_degrees))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    half = np.array([[-page_w, -page_h], [page_w, -page_h], [page_w, page_h], [-page_w, page_h]]) / 2
    centre = np.array([width / 2 + shift[0] * width, height / 2 + shift[1] * height])
    corners = half @ rotation.T + centre
    corners += rng.uniform(-1, 1, (4, 2)) * s.perspective * np.array([page_w, page_h])
    if shift == (0.0, 0.0):  # the whole page in the frame, as a teacher takes it
        margin = 0.02 * np.array([width, height])
        spread = np.max(np.abs(corners - centre) / (np.array([width, height]) / 2 - margin))
        if spread > 1:
            corners = centre + (corners - centre) / spread
    source = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners.astype(np.float32))
    px = 200 / 25.4
    half_mark = spec.mark_size / 2
    mark_corners = np.array([[(x + dx) * px, (y + dy) * px] for x, y in spec.mark_centers()
                             for dx in (-half_mark, half_mark) for dy in (-half_mark, half_mark)], np.float32)
    landed = cv2.perspectiveTransform(mark_corners[None], matrix)[0]
    in_frame = bool(np.all((landed >= 0) & (landed < (width, height))))
    warped = cv2.warpPerspective(page, matrix, (width, height), flags=cv2.INTER_AREA, borderValue=0)
    mask = cv2.warpPerspective(np.full_like(page, 255), matrix, (width, height), flags=cv2.INTER_AREA)
    paper = np.array([238, 243, 246], np.float32) / 255  # a little warm, as paper under room light
    sheet = warped[..., None].astype(np.float32) * paper
    alpha = mask[..., None].astype(np.float32) / 255
    photo = photo * (1 - alpha) + sheet * alpha

    photo *= _light(rng, width, height, s.light)[..., None].astype(np.float32)
    if s.shadow:
        photo *= _shadow(rng, width, height, corners, s.shadow)[..., None]
    if s.blur_sigma:
        photo = cv2.GaussianBlur(photo, (0, 0), s.blur_sigma)
    if s.noise:
        photo += rng.standard_normal(photo.shape, dtype=np.float32) * s.noise
    image = np.clip(photo, 0, 255).astype(np.uint8)
    return Photo(data=encode(image, fmt=fmt, quality=s.jpeg_quality), corners=corners, size=(width, height),
                 marks_in_frame=in_frame)


def encode(image: np.ndarray, *, fmt: str = "jpeg", quality: int = 90, exif_orientation: int | None = None) -> bytes:
    """image (BGR) as a JPEG, PNG or HEIC file. exif_orientation: store the pixels turned
    as a phone does and say so in EXIF (6: the camera was turned 90 degrees clockwise)."""
    rgb = Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    exif = Image.Exif()
    if exif_orientation is not None:
        turn = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}
        rgb = rgb.transpose(turn[exif_orientation])
        exif[0x0112] = exif_orientation
    buffer = io.BytesIO()
    if fmt == "jpeg":
        rgb.save(buffer, "JPEG", quality=quality, exif=exif)
    elif fmt == "png":
        rgb.save(buffer, "PNG", exif=exif)
    elif fmt == "heic":
        import pillow_heif

        pillow_heif.register_heif_opener()
        rgb.save(buffer, "HEIF", quality=quality, exif=exif.tobytes())
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return buffer.getvalue()


def _desk(rng: np.random.Generator, width: int, height: int, base: tuple[int, int, int]) -> np.ndarray:
    """A surface of the base colour with wood-like grain and slow variation (drawn at half
    size and scaled up: the grain is smooth, and the tests draw many)."""
    full = (width, height)
    width, height = width // 2, height // 2
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32) * 2
    angle = rng.uniform(0, np.pi)
    along = xs * np.cos(angle) + ys * np.sin(angle)
    across = -xs * np.sin(angle) + ys * np.cos(angle)
    grain = np.sin(across / rng.uniform(6, 14) + 3 * np.sin(along / rng.uniform(150, 400)))
    slow = cv2.resize(rng.normal(0, 1, (8, 6)).astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)
    texture = cv2.resize(1 + 0.08 * grain + 0.06 * slow, full, interpolation=cv2.INTER_LINEAR)
    return np.array(base, np.float32) * texture[..., None]


def _light(rng: np.random.Generator, width: int, height: int, strength: float) -> np.ndarray:
    """Brightness falling off linearly in a random direction, from 1 to 1 - strength."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = xs / width * np.cos(angle) + ys / height * np.sin(angle)
    ramp = (ramp - ramp.min()) / max(1e-6, float(ramp.max() - ramp.min()))
    return 1 - strength * ramp


def _shadow(rng: np.random.Generator, width: int, height: int, corners: np.ndarray, strength: float) -> np.ndarray:
    """A soft-edged shadow (a hand or the phone) reaching in from one side over part of the page."""
    mask = np.zeros((height, width), np.float32)
    side = int(rng.integers(4))
    a, b = corners[side], corners[(side + 1) % 4]
    depth = rng.uniform(0.15, 0.35)
    inward = corners.mean(axis=0)
    t0, t1 = sorted(rng.uniform(0.1, 0.9, 2))
    p0, p1 = a + (b - a) * t0, a + (b - a) * t1
    q0, q1 = p0 + (inward - p0) * depth * 2, p1 + (inward - p1) * depth * 2
    outward = (p0 + p1) / 2 - inward
    polygon = np.array([p0 + outward, p0, q0, q1, p1, p1 + outward], dtype=np.int32)
    cv2.fillPoly(mask, [polygon], 1.0)
    mask = cv2.GaussianBlur(mask, (0, 0), max(4.0, width / 120))
    return 1 - strength * mask
