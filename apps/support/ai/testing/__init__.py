"""Generated inputs for the AI worker's tests and benchmark: text images and filled answer sheets."""
