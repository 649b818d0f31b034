"""A one-line program; app_b differs from it in one line."""

print("version a")
