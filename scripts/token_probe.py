#!/usr/bin/env python
"""Does the decoder read its codes? Decode the same held-out TNO tiles with the HR's own (true) tokens, with neutral
tokens and with sampled tokens; PSNR and LPIPS-alex of each, and the share of true tokens equal to neutral per scale."""
import sys, json, torch, numpy as np
from realiisr_lite.inference import RealIISR
from realiisr_lite.evaluate import eval_dataset, frame_tiles
from realiisr_lite.metrics import psnr, iqa_metric
torch.set_num_threads(1)
path, out = sys.argv[1], sys.argv[2]          # usage: python scripts/token_probe.py MODEL_FOLDER|RUN_FOLDER OUT.json
from pathlib import Path
if (Path(path)/'config.json').exists(): m = RealIISR.from_pretrained(path)
else:          # a training run folder after stage 1b: its tokenizer and decoder, its prior, the tiny config
    from realiisr_lite.config import get_config
    from realiisr_lite.vqvae import load_vqvae
    from realiisr_lite.train import load_regression
    m = RealIISR(get_config('tiny'), load_vqvae(Path(path)/'vqvae.safetensors')).eval()
    m.prior.load_state_dict(load_regression(Path(path)/'prior.safetensors').state_dict())
lr, hr = frame_tiles(eval_dataset('tno'), m.config.lr_size, 4, 4)
lr, hr = lr[:48], hr[:48]
lp = iqa_metric('lpips')
res = dict(model=path, tiles=len(lr), fidelity=0.0, rows={})
with torch.no_grad():
    p = m.prior_image(lr)
    true_idx = m.vqvae.img_to_idx(hr - p)
    neu = m.generate_tiles(lr, prior_B1HW=p, image=False, tokens='neutral')
    gen = m.generate_tiles(lr, prior_B1HW=p, image=False, seed=0, temperature=1.0)
    res['true_equal_neutral_per_scale'] = [round(float((a == b).float().mean()), 3) for a, b in zip(true_idx, neu['idx'])]
    res['sampled_equal_neutral_per_scale'] = [round(float((a == b).float().mean()), 3) for a, b in zip(gen['idx'], neu['idx'])]
    fh = dict(true=m.vqvae.idx_to_fhat(true_idx), neutral=neu['fhat'], sampled=gen['fhat'])
    for name, f in fh.items():
        sr = m.decode_fhat(f, lr, p, 0.0).clamp(0, 1)
        res['rows'][name] = dict(psnr=round(psnr(sr, hr).mean().item(), 4), lpips=round(lp(sr, hr).mean().item(), 5))
    pr = p.clamp(0, 1)
    res['rows']['prior alone'] = dict(psnr=round(psnr(pr, hr).mean().item(), 4), lpips=round(lp(pr, hr).mean().item(), 5))
print(json.dumps(res, indent=1))
open(out, 'w').write(json.dumps(res, indent=1))
