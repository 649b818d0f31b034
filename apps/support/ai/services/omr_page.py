"""Finding the answer sheet in a scan or a phone photo, and mapping it onto the spec's frame.

    page = locate_sheet(gray, spec)     # raises SheetNotFound with a reason a teacher can act on
    page.image                          # the sheet in the spec's frame at reading.pixels_per_mm,
                                        # light evened out: paper near 255 even under a shadow
    page.ink, page.paper                # the sheet's own ink and paper levels (marks, background)

  1. even out the light: divide by the paper's brightness, estimated with a median filter
     wider than any mark (a median keeps a shadow's edge where it is, a blur or a
     morphological closing would smear it)
  2. find the page: four-cornered outlines in the photo (on a desk, a table, a scanner's
     lid), largest first, the first with the marks on it; a scan whose page fills the
     frame has none, and is searched whole
  3. find the four registration marks: solid squares, the size the spec gives relative to
     the page, standing on paper. With the page found, each is looked for near its corner
     of the page; without, the marks nearest the image's corners are taken
  4. warp the marks onto the spec's mark centres (undoing perspective, turn and scale), the
     page portrait whichever way the photo was taken; whether it is upside down is told by
     the printed bubble outlines, which are only where the spec puts them when it is not
"""

from dataclasses import dataclass

import cv2
import numpy as np

from apps.support.ai.services.omr_layout import SheetSpec

PAGE_SEARCH_PIXELS = 1000  # the page outline is looked for at half size until the long side fits
MIN_PAGE_SHARE = 0.2  # of the photo's area: anything smaller is not the page
MARK_SEARCH_MM = 24  # how far from its expected place a mark is looked for, page found
MIN_OUTLINE_CONTRAST = 0.12  # bubble outlines darker than the paper beside them, by this share
# The median that finds the paper's brightness spans this many mark widths: wide enough that
# a mark (a quarter of the window) stays ink, narrow enough to follow a shadow's corners.
LIGHT_WINDOW_MARKS = 2


class SheetNotFound(Exception):
    """The image holds no answer sheet that can be read; the message says what to do."""


@dataclass(frozen=True)
class LocatedSheet:
    image: np.ndarray  # grayscale, the spec's frame, light evened out
    ink: float  # grey level of the registration marks' interiors
    paper: float  # grey level of the paper


def even_light(gray: np.ndarray, *, window_px: float) -> np.ndarray:
    """gray divided by its local paper brightness (a median over window_px), paper -> ~250."""
    factor = max(1, int(window_px // 25))  # the median runs on a reduced copy: fast, and as good
    h, w = gray.shape
    # Whole multiples of the factor take OpenCV's fast path for INTER_AREA.
    small = cv2.resize(gray[:h - h % factor or h, :w - w % factor or w], (w // factor, h // factor),
                       interpolation=cv2.INTER_AREA)
    size = int(window_px / factor) | 1
    background = cv2.medianBlur(small, min(255, max(3, size)))
    background = cv2.resize(background, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(gray, np.maximum(background, 1), scale=250)


def find_pages(gray: np.ndarray) -> list[np.ndarray]:
    """Four-cornered outlines that may be the page, largest first (corners clockwise from any)."""
    small, scale = gray, 1.0
    while max(small.shape) > PAGE_SEARCH_PIXELS:
        small, scale = cv2.pyrDown(small), scale / 2
    small = cv2.GaussianBlur(small, (5, 5), 0)
    area = small.shape[0] * small.shape[1]
    masks = []
    # Paper is brighter than what it lies on, though a shadow may darken part of it: Otsu
    # splits the two, and edges catch the outline where brightness alone does not.
    _, bright = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    masks.append(cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8)))
    # Against a pale table the outline's contrast is slight: weaker edge thresholds find it,
    # at the cost of more clutter (each candidate must still carry the marks).
    for low, high in ((60, 150), (25, 75)):
        masks.append(cv2.dilate(cv2.Canny(small, low, high), np.ones((5, 5), np.uint8)))
    quads = []
    for mask in masks:
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:5]:
            quad = _four_corners(contour)
            if quad is None:
                continue
            quad_area = cv2.contourArea(quad)
            # A quad that is the whole frame is the image's border, not a page.
            if MIN_PAGE_SHARE * area <= quad_area < 0.98 * area:
                quads.append((quad_area, quad.reshape(4, 2).astype(np.float32) / scale))
    return [quad for _, quad in sorted(quads, key=lambda q: -q[0])]


def portrait_order(points: np.ndarray) -> np.ndarray:
    """Four corners as TL, TR, BR, BL of a portrait page: clockwise in the image, starting
    so that the first side is a short one (which of the two short sides is the top is
    decided later, by the bubbles)."""
    centre = points.mean(axis=0)
    angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    ordered = points[np.argsort(angles)]  # clockwise in image coordinates (y down)
    ordered = np.roll(ordered, -int(np.argmin(ordered.sum(axis=1))), axis=0)  # nearest the top left first
    sides = np.linalg.norm(ordered - np.roll(ordered, -1, axis=0), axis=1)  # 0-1, 1-2, 2-3, 3-0
    if sides[0] + sides[2] > sides[1] + sides[3]:  # the page lies sideways: start one corner later
        ordered = np.roll(ordered, -1, axis=0)
    return ordered


def locate_sheet(gray: np.ndarray, spec: SheetSpec) -> LocatedSheet:
    found = None
    for page in find_pages(gray):
        found = _marks_on_page(gray, portrait_order(page), spec)
        if found is not None:
            break
    # Light evened out once, on the page (or the whole scan), then warped onto the frame.
    evened, marks = found if found is not None else _marks_anywhere(gray, spec)
    matrix = cv2.getPerspectiveTransform(marks.astype(np.float32), _clockwise_marks(spec))
    evened = cv2.warpPerspective(evened, matrix, _frame(spec), flags=cv2.INTER_LINEAR, borderValue=255)
    # The spec's marks sit symmetrically about the page's centre, so a page upside down
    # maps onto the frame as well: the bubble outlines tell which way up it is.
    upright, turned = _outline_contrast(evened, spec), _outline_contrast(cv2.rotate(evened, cv2.ROTATE_180), spec)
    if turned > upright:
        evened = cv2.rotate(evened, cv2.ROTATE_180)
    if max(upright, turned) < MIN_OUTLINE_CONTRAST:
        raise SheetNotFound(f"the answer bubbles are not where answer sheet v{spec.version} prints them: "
                            f"is this sheet v{spec.version}, photographed whole and flat?")
    ink, paper = _levels(evened, spec)
    return LocatedSheet(image=evened, ink=ink, paper=paper)


def _frame(spec: SheetSpec) -> tuple[int, int]:
    """The spec's page in pixels (width, height) at reading.pixels_per_mm."""
    scale = float(spec.reading["pixels_per_mm"])
    width_mm, height_mm = spec.page_size
    return round(width_mm * scale), round(height_mm * scale)


def _clockwise_marks(spec: SheetSpec) -> np.ndarray:
    """The spec's mark centres in pixels, in the clockwise order marks are found in: TL, TR, BR, BL."""
    tl, tr, bl, br = spec.mark_centers()
    return np.array([tl, tr, br, bl], dtype=np.float32) * float(spec.reading["pixels_per_mm"])


def _marks_on_page(gray: np.ndarray, corners: np.ndarray, spec: SheetSpec) -> tuple[np.ndarray, np.ndarray] | None:
    """The page found, warped upright to the page's size with its light evened out, and the
    marks' centres on it, each looked for near its corner (TL, TR, BR, BL); None when not
    all four are there."""
    scale = float(spec.reading["pixels_per_mm"])
    width, height = _frame(spec)
    page_frame = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    to_page = cv2.getPerspectiveTransform(corners.astype(np.float32), page_frame)
    page = cv2.warpPerspective(gray, to_page, (width, height), flags=cv2.INTER_LINEAR, borderValue=0)
    page = even_light(page, window_px=LIGHT_WINDOW_MARKS * spec.mark_size * scale)
    found = []
    for expected in _clockwise_marks(spec):
        centre = _mark_near(page, expected, spec)
        if centre is None:
            return None
        found.append(centre)
    return page, np.array(found, dtype=np.float32)


def _mark_near(page: np.ndarray, expected: np.ndarray, spec: SheetSpec) -> np.ndarray | None:
    scale = float(spec.reading["pixels_per_mm"])
    reach = int(MARK_SEARCH_MM * scale)
    x0, y0 = (max(0, int(v) - reach) for v in expected)
    window = page[y0:int(expected[1]) + reach, x0:int(expected[0]) + reach]
    if window.size == 0:
        return None
    candidates = _square_marks(window, expected_side=spec.mark_size * scale)
    if not candidates:
        return None
    local = expected - (x0, y0)
    best = min(candidates, key=lambda c: np.linalg.norm(np.array(c) - local))
    return np.array(best) + (x0, y0)


def _marks_anywhere(gray: np.ndarray, spec: SheetSpec) -> tuple[np.ndarray, np.ndarray]:
    """For a scan whose page fills the frame: the scan with its light evened out, and the
    marks nearest its four corners."""
    h, w = gray.shape
    page_w, _ = spec.page_size
    # The page may fill anything from half to all of the scan's width.
    side = spec.mark_size / page_w * w
    evened = even_light(gray, window_px=LIGHT_WINDOW_MARKS * side)
    candidates = _square_marks(evened, expected_side=side, tolerance=(0.45, 1.6))
    if len(candidates) < 4:
        raise SheetNotFound(f"the sheet's four corner marks are not all visible: photograph the whole answer "
                            f"sheet (v{spec.version}), flat and in focus (found {len(candidates)} of 4)")
    points = np.array(candidates)
    chosen = []
    for corner in ((0, 0), (w, 0), (w, h), (0, h)):
        chosen.append(int(np.argmin(np.linalg.norm(points - corner, axis=1))))
    if len(set(chosen)) < 4:
        raise SheetNotFound("the corner marks found do not outline a page: photograph the whole answer sheet")
    return evened, portrait_order(points[chosen])


def _square_marks(image: np.ndarray, *, expected_side: float, tolerance=(0.6, 1.5)) -> list[tuple[float, float]]:
    """Centres of solid dark squares of about expected_side, standing on light paper."""
    _, ink = cv2.threshold(image, 128, 255, cv2.THRESH_BINARY_INV)
    ink = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(ink, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    low, high = tolerance
    found = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if x == 0 or y == 0 or x + w == image.shape[1] or y + h == image.shape[0]:
            continue  # cut off by the edge: its centre would be wrong
        area = cv2.contourArea(contour)
        if not (low * expected_side) ** 2 <= area <= (high * expected_side) ** 2:
            continue
        # A square seen in perspective is still a four-cornered, filled outline with sides
        # of similar length; a filled bubble (a disc) has no four corners.
        quad = _four_corners(contour)
        if quad is None or area < 0.88 * cv2.contourArea(quad):
            continue
        sides = np.linalg.norm(quad[:, 0] - np.roll(quad[:, 0], 1, axis=0), axis=1)
        if sides.max() > 1.5 * sides.min():
            continue
        (cx, cy), (rw, rh), _ = cv2.minAreaRect(contour)
        if not _on_paper(image, (cx, cy), max(rw, rh)):
            continue
        found.append((float(cx), float(cy)))
    return found


def _four_corners(contour: np.ndarray) -> np.ndarray | None:
    """The contour's convex outline simplified to a polygon (2% of its perimeter), if that
    has four corners: how both the page and a mark are told from other shapes."""
    hull = cv2.convexHull(contour)
    quad = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
    return quad if len(quad) == 4 else None


def _on_paper(image: np.ndarray, centre: tuple[float, float], side: float) -> bool:
    """The ring around a mark candidate is paper: bright and even (a knot in a desk is not)."""
    cx, cy = centre
    outer, inner = side, side * 0.75
    x0, y0 = int(cx - outer), int(cy - outer)
    x1, y1 = int(cx + outer) + 1, int(cy + outer) + 1
    if x0 < 0 or y0 < 0 or x1 > image.shape[1] or y1 > image.shape[0]:
        return True  # at the window's edge: the shape alone decides
    patch = image[y0:y1, x0:x1].astype(np.float32)
    ys, xs = np.mgrid[y0:y1, x0:x1]
    ring = np.maximum(np.abs(xs - cx), np.abs(ys - cy)) > inner
    return float(np.percentile(patch[ring], 25)) > 170


def _outline_contrast(page: np.ndarray, spec: SheetSpec) -> float:
    """How much darker than the paper beside them the printed outlines of question 1's
    bubbles are (0..1), median over the choices."""
    scale = float(spec.reading["pixels_per_mm"])
    r = spec.bubble_radius * scale
    angles = np.linspace(0, 2 * np.pi, 32, endpoint=False)
    contrasts = []
    for choice in range(1, spec.choices + 1):
        cx, cy = (v * scale for v in spec.bubble_center(1, choice))
        on = _sample(page, cx + r * np.cos(angles), cy + r * np.sin(angles))
        beside = _sample(page, cx + 1.45 * r * np.cos(angles), cy + 1.45 * r * np.sin(angles))
        contrasts.append((np.mean(beside) - np.mean(on)) / max(1.0, float(np.mean(beside))))
    return float(np.median(contrasts))


def _sample(page: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    xs = np.clip(np.round(xs).astype(int), 0, page.shape[1] - 1)
    ys = np.clip(np.round(ys).astype(int), 0, page.shape[0] - 1)
    return page[ys, xs].astype(np.float32)


def _levels(page: np.ndarray, spec: SheetSpec) -> tuple[float, float]:
    """The sheet's ink (the marks' interiors) and paper grey levels."""
    scale = float(spec.reading["pixels_per_mm"])
    half = spec.mark_size * scale * 0.3
    inks = []
    for x, y in spec.mark_centers():
        cx, cy = x * scale, y * scale
        inks.append(np.median(page[int(cy - half):int(cy + half), int(cx - half):int(cx + half)]))
    return float(np.median(inks)), float(np.percentile(page[::3, ::3], 90))  # a sample is as good
