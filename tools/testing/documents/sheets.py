"""Filled answer sheets as a scanner or a phone would give them: turned, scaled, noisy."""

import cv2
import numpy as np

from apps.support.ai.services.omr_layout import SheetSpec
from apps.support.ai.services.omr_render import render_sheet


def scanned_sheet(spec: SheetSpec, *, questions: int, marks: dict[int, list[int]], degrees: float = 0.0,
                  scale: float = 1.0, noise: float = 0.0, dpi: int = 150, seed: int = 0) -> np.ndarray:
    """The filled sheet turned by degrees, scaled, placed on a slightly larger grey-white
    scan with Gaussian noise (sd `noise`), as a grayscale array."""
    page = np.asarray(render_sheet(spec, questions=questions, dpi=dpi, marks=marks, seed=seed))
    h, w = page.shape
    canvas_w, canvas_h = int(w * 1.15), int(h * 1.15)
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, scale)
    matrix[0, 2] += (canvas_w - w) / 2
    matrix[1, 2] += (canvas_h - h) / 2
    out = cv2.warpAffine(page, matrix, (canvas_w, canvas_h), flags=cv2.INTER_LINEAR, borderValue=235)
    if noise:
        rng = np.random.default_rng(seed)
        out = np.clip(out.astype(np.float32) + rng.normal(0, noise, out.shape), 0, 255).astype(np.uint8)
    return out


def random_marks(questions: int, choices: int, *, seed: int) -> dict[int, list[int]]:
    rng = np.random.default_rng(seed)
    return {q: [int(rng.integers(1, choices + 1))] for q in range(1, questions + 1)}
