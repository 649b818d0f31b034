"""Generated inputs for the AI worker's tests and benchmark: text images, filled answer sheets and PDFs."""
