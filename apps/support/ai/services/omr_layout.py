"""The answer sheet's layout, read from a versioned spec (sheets/omr_v<N>.json).

Every length in a spec is in millimetres on the printed page. The renderer and the reader
both take positions from here, so a sheet printed from version N is read with version N.

    spec = load_spec()                 # the newest version
    spec.bubble_center(q, c)           # question q (1-based), choice c (1-based), in mm
    spec.mark_centers()                # the four registration marks, TL, TR, BL, BR
"""

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SHEETS_DIR = Path(__file__).resolve().parent.parent / "sheets"
CURRENT_VERSION = 1
CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")


@dataclass(frozen=True)
class SheetSpec:
    raw: dict

    @property
    def version(self) -> int:
        return int(self.raw["version"])

    @property
    def page_size(self) -> tuple[float, float]:
        return float(self.raw["page"]["width"]), float(self.raw["page"]["height"])

    @property
    def max_questions(self) -> int:
        return int(self.raw["questions"]["max"])

    @property
    def choices(self) -> int:
        return int(self.raw["questions"]["choices"])

    @property
    def bubble_radius(self) -> float:
        return float(self.raw["questions"]["bubble_radius"])

    @property
    def mark_size(self) -> float:
        return float(self.raw["registration_marks"]["size"])

    @property
    def reading(self) -> dict:
        return self.raw["reading"]

    def mark_centers(self) -> list[tuple[float, float]]:
        centers = self.raw["registration_marks"]["centers"]
        return [tuple(map(float, centers[name])) for name in CORNERS]

    def check_questions(self, count: int) -> None:
        if not 1 <= count <= self.max_questions:
            raise ValueError(f"sheet v{self.version} holds 1 to {self.max_questions} questions, not {count}")

    def row_origin(self, question: int) -> tuple[float, float]:
        """Where choice 1 of question (1-based) sits."""
        q = self.raw["questions"]
        column, row = divmod(question - 1, int(q["rows_per_column"]))
        x0, y0 = q["first_bubble"]
        return x0 + column * q["column_pitch"], y0 + row * q["row_pitch"]

    def bubble_center(self, question: int, choice: int) -> tuple[float, float]:
        x, y = self.row_origin(question)
        return x + (choice - 1) * float(self.raw["questions"]["bubble_pitch"]), y


@lru_cache(maxsize=None)
def load_spec(version: int = CURRENT_VERSION) -> SheetSpec:
    path = SHEETS_DIR / f"omr_v{version}.json"
    if not path.exists():
        raise ValueError(f"there is no answer sheet version {version}")
    return SheetSpec(json.loads(path.read_text()))
