"""Notebook-first rebuild of Real-IISR: real-world infrared (thermal) image super-resolution with a visual autoregressive model

Modules:

- `realiisr_lite.data`: Loading any thermal file safely, degrading HR frames the way FLIR-IISR's LR frames were captured, procedural thermal scenes for offline work, and the datasets every later notebook trains on.
- `realiisr_lite.metrics`: PSNR and SSIM written out by hand following BasicSR's conventions for ×4 super-resolution, cross-checked against pyiqa and scikit-image; the bicubic baseline; a helper that turns any SR function into a table."""

__version__ = "0.1.0"
