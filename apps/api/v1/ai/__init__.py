"""AI jobs (OCR, answer-sheet grading, embeddings), answer keys and questions."""
