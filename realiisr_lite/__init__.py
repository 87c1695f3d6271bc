"""Notebook-first rebuild of Real-IISR: real-world infrared (thermal) image super-resolution with a visual autoregressive model

Modules:

- `realiisr_lite.app`: A Gradio app around `RealIISR.super_resolve`: upload a thermal image (8- or 16-bit PNG, TIFF in °C, BMP, JPEG) or pick an example, compare bicubic and SR with a before/after slider, read a line profile, watch the token pyramid fill in scale by scale, see where the model is guessing, set how much it may invent, read temperatures in °C, and download the result in the input's kind (float °C TIFF, 16-bit, 8-bit).
- `realiisr_lite.cac`: One codebook for every degradation is a compromise. CAC shifts every codebook entry by a small, rank-8, condition-dependent offset computed from the transformer's condition prefix, so the same token index can decode to a slightly different vector for a defocused frame than for a motion-blurred one.
- `realiisr_lite.course`: Turn the repository's notebooks (the instructor version, solutions included) into a student version where the key functions and the exercise solutions are blank, and the notebooks' own checks say when they are right.
- `realiisr_lite.data`: Loading any thermal file safely, degrading HR frames the way FLIR-IISR's LR frames were captured, procedural thermal scenes for offline work, and the datasets every later notebook trains on.
- `realiisr_lite.evaluate`: PSNR and SSIM (ours and pyiqa's), learned metrics when their weights exist, two thermal-specific measures (order violations between neighbouring patches, hot-spot drift), per degradation kind; the rows that matter (bicubic, a regression CNN, Real-IISR-lite and its ablations); efficiency; figures in the style of the paper.
- `realiisr_lite.losses`: Hotter stays brighter. The TOC loss asks a super-resolved image to keep the *order* of brightness between neighbouring patches of the HR image, and ignores everything that keeps that order: a gain or gamma change of the camera, a sub-pixel misalignment.
- `realiisr_lite.metrics`: PSNR and SSIM written out by hand following BasicSR's conventions for ×4 super-resolution, cross-checked against pyiqa and scikit-image; the bicubic baseline; a helper that turns any SR function into a table.
- `realiisr_lite.model`: The frozen tokenizer, the next-scale transformer whose prefix holds [LR tokens | TSG tokens | start], the Condition-Adaptive Codebook at decoding, and the objective CE + 0.2·MSE + 0.8·TOC, behind switches for the ablations; super-resolution of images of any size; safetensors checkpoints.
- `realiisr_lite.train`: Stage 1 trains the tokenizer, stage 2 the transformer and the thermal parts on top of the frozen tokenizer. One loop for CPU, one GPU (bf16 autocast) and several GPUs or nodes through `torchrun`; exact resume; a regression baseline trained on the same data for the same budget.
- `realiisr_lite.tsg`: Two cheap maps of the LR frame, *where is it hot* and *where are the edges*, encoded to the token grid, fused by a learned gate and handed to the transformer through cross-attention.
- `realiisr_lite.var`: A transformer that predicts the token pyramid of notebook 03 scale by scale, conditioned on the low-resolution thermal image, with a block-causal mask, AdaLN blocks and a KV cache for generation.
- `realiisr_lite.vqvae`: A convolutional autoencoder for single-channel thermal images whose latent map is quantised by VAR's multi-scale residual quantizer: one token map per scale, from 1×1 up to the full latent grid."""

__version__ = "0.1.0"
