"""Notebook-first rebuild of Real-IISR: real-world infrared (thermal) image super-resolution with a visual autoregressive model

Modules:

- `realiisr_lite.app`: A Gradio app around `RealIISR.super_resolve`: upload a thermal image or pick an example, compare bicubic and SR with a before/after slider, read a line profile and temperatures, watch the token pyramid fill in scale by scale, see where the model is guessing, and download the result in the input's kind.
- `realiisr_lite.cac`: One codebook for every degradation is a compromise. CAC shifts every codebook entry by a small, rank-8, condition-dependent offset computed from the transformer's condition prefix, so the same token index can decode to a slightly different vector for a defocused frame than for a motion-blurred one.
- `realiisr_lite.config`: A configuration is a tree of dataclasses: the tokenizer (`vqvae`), the transformer (`var`), the prior, the thermal parts and the decoding defaults (`RealIISRConfig`), and the training options (`TrainConfig`). Named configurations, dotted overrides, and one switch for the authors' released behaviour.
- `realiisr_lite.course`: Turn the repository's notebooks (the instructor version, solutions included) into a student version where the key functions and the exercise solutions are blank, and the notebooks' own checks say when they are right.
- `realiisr_lite.data`: Loading any thermal file safely, degrading HR frames the way FLIR-IISR's LR frames were captured, procedural thermal scenes for offline work, and the datasets every later notebook trains on.
- `realiisr_lite.evaluate`: The measures (PSNR and SSIM, LPIPS and DISTS, two thermal-specific ones, errors in °C), `evaluate` and the `realiisr-lite eval` command behind every table, the figures a paper shows, and the bundled model against bicubic, its regression twin and the Real-ESRGAN peer.
- `realiisr_lite.inference`: One path from an LR frame of any size to its SR, in small named steps: check the input, prepare it, compute the prior, generate the tokens tile by tile and blend their latents, decode once, cut and correct the output. A result object holds the SR and whatever else was asked for (the image after each scale, an uncertainty map, the settings used, timings). File input and output live in the command line and the demo, not here.
- `realiisr_lite.losses`: Hotter stays brighter. The TOC loss asks a super-resolved image to keep the *order* of brightness between neighbouring patches of the HR image, and ignores everything that keeps that order: a gain or gamma change of the camera, a sub-pixel misalignment.
- `realiisr_lite.metrics`: PSNR and SSIM written out by hand following BasicSR's conventions for ×4 super-resolution, cross-checked against pyiqa and scikit-image; why they prefer blur; the perceptual metrics LPIPS and DISTS, checked against their published values; the two baselines every table reports (bicubic and the Real-ESRGAN peer); a helper that turns any SR function into a table.
- `realiisr_lite.model`: The paper's model assembled from notebooks 03–07: the frozen tokenizer, the next-scale transformer whose prefix holds [LR tokens | TSG tokens | start], the Condition-Adaptive Codebook at decoding, the objective CE + 0.2·MSE + 0.8·TOC; then, as side notes, what the lite model adds (a prior, residual tokens, a decoder that reads the LR frame) and why. Super-resolving whole frames is notebook 08a; the configurations are notebook 07a.
- `realiisr_lite.train`: Four stages: the regression prior (0), the tokenizer (1), the transformer with the thermal parts on top of the frozen tokenizer (2), the decoder on the transformer's own tokens (3). One loop for CPU, one GPU (bf16 autocast) and several GPUs or nodes through `torchrun`; exact resume; two same-budget twins (a regression CNN and a GAN-trained one) that every evaluation compares against.
- `realiisr_lite.tsg`: Two cheap maps of the LR frame, *where is it hot* and *where are the edges*, encoded to the token grid, fused by a learned gate and handed to the transformer through cross-attention.
- `realiisr_lite.var`: A transformer that predicts the token pyramid of notebook 03 scale by scale, conditioned on the low-resolution thermal image, with a block-causal mask, AdaLN blocks and a KV cache for generation.
- `realiisr_lite.vqvae`: A convolutional autoencoder for single-channel thermal images whose latent map is quantised by VAR's multi-scale residual quantizer: one token map per scale, from 1×1 up to the full latent grid."""

__version__ = "0.1.0"

_API = ('RealIISR', 'super_resolve', 'Decoding', 'SRResult', 'get_config')

def __getattr__(name):
    "`from realiisr_lite import RealIISR`: the model with its inference path attached (imported on first use, so `import realiisr_lite` stays light)."
    if name in _API:
        from . import inference, config
        return getattr(config if name == 'get_config' else inference, name)
    raise AttributeError(f"module 'realiisr_lite' has no attribute {name!r}")
