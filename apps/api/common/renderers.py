"""CSV answers for exports an academy opens in a spreadsheet (?format=csv or Accept: text/csv).

A view hands the renderer a list of flat dicts; their keys are the header. The file starts
with a UTF-8 byte order mark, so Excel (what Korean academies mostly open it with) reads
Korean names as Korean instead of mojibake.
"""

import csv
import io

from rest_framework.renderers import BaseRenderer


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict):  # an error's body: {"detail": ...}
            data = [data]
        rows = list(data or [])
        out = io.StringIO()
        out.write("\ufeff")
        if rows:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
            writer.writeheader()
            writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
        return out.getvalue().encode("utf-8")


def _cell(value):
    # A cell a spreadsheet would run as a formula (=, +, -, @) is written as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value
