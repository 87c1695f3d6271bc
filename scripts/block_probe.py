#!/usr/bin/env python
"""Blocks at the borders of the LR's pixels (`realiisr_lite.evaluate.block_edges`, grey levels) on the held-out TNO
frames, with PSNR and LPIPS-alex:

    python scripts/block_probe.py measure OUT.json          # bicubic, the two twins, the peer, the bundled model
    python scripts/block_probe.py sources RUN OUT.json      # which stage of the bundled run (RUN) adds them
    python scripts/block_probe.py base nearest|bicubic STEPS OUT.json
        # the compact CNN from Real-ESRGAN's weights, trained with MSE for STEPS on the 'thermal' data (the `tiny`
        # prior's batch, crops and learning rate), with Real-ESRGAN's nearest-neighbour base or a bicubic one

One CPU thread; the means are per degradation kind over the 12 frames."""
import json, sys, time
from pathlib import Path
import torch
import torch.nn.functional as F
from realiisr_lite.config import get_config
from realiisr_lite.core import bundled_weights_dir
from realiisr_lite.evaluate import block_edges, eval_dataset
from realiisr_lite.inference import RealIISR
from realiisr_lite.metrics import RealESRGANPeer, bicubic_upscale, iqa_metric, psnr
from realiisr_lite.model import CompactSRNet
from realiisr_lite.train import fit_regression, load_regression, make_datasets
from realiisr_lite.vqvae import load_vqvae

torch.set_num_threads(1)


def scores(methods: dict) -> dict:
    "Mean PSNR, LPIPS-alex and block_edges per method and kind on the held-out TNO frames."
    lp, ds, acc = iqa_metric('lpips'), eval_dataset('tno'), {}
    with torch.no_grad():
        for i in range(len(ds)):
            it = ds[i]; lr, hr = it['lr'][None], it['hr'][None]
            for name, f in methods.items():
                sr = f(lr).float().clamp(0, 1)
                acc.setdefault(name, {}).setdefault(it['kind'], []).append(
                    (psnr(sr, hr).item(), lp(sr, hr).item(), block_edges(sr, hr)))
            acc.setdefault('HR', {}).setdefault(it['kind'], []).append((float('inf'), 0.0, block_edges(hr, hr)))
    res = {n: {k: dict(zip(('psnr', 'lpips', 'block_edges'), torch.tensor(v).mean(0).tolist()))
               for k, v in per.items()} for n, per in acc.items()}
    res['HR'] = {k: dict(block_edges=d['block_edges']) for k, d in res['HR'].items()}      # its PSNR is infinite
    return res


class BicubicBase(CompactSRNet):
    "The compact CNN with a bicubic instead of a nearest-neighbour base under its pixel-shuffle output."
    def forward(self, x):
        return self.upsampler(self.body(x)) + F.interpolate(x, scale_factor=self.scale, mode='bicubic',
                                                            align_corners=False)


if __name__ == '__main__':
    cmd, out = sys.argv[1], Path(sys.argv[-1])
    res = dict(command='python scripts/block_probe.py ' + ' '.join(sys.argv[1:]), date=time.strftime('%Y-%m-%d'))
    if cmd == 'measure':
        W, model = bundled_weights_dir('tiny'), RealIISR.from_pretrained()
        res['methods'] = scores({'bicubic': bicubic_upscale,
                                 'regression twin': load_regression(W/'regression.safetensors'),
                                 'GAN twin': load_regression(W/'gan_twin.safetensors'),
                                 'Real-ESRGAN (peer)': RealESRGANPeer().super_resolve,
                                 'Real-IISR-lite (bundled)': lambda lr: model.super_resolve(lr).sr})
    elif cmd == 'base':
        base, steps = sys.argv[2], int(sys.argv[3])
        cfg = get_config('tiny'); tc = cfg.train
        ds = make_datasets('thermal', tc.prior_hr_size, cfg.scale, tc.seed, pool=tc.pool, pool_hr_size=cfg.hr_size)[0]
        net = (BicubicBase if base == 'bicubic' else CompactSRNet)(cfg.scale).from_realesrgan()
        t0 = time.time()
        fit_regression(net, ds, steps, tc.prior_batch_size, tc.prior_lr, seed=tc.seed, progress=False, device='cpu',
                       loss=tc.prior_loss)
        net.eval(); res.update(base=base, steps=steps, seconds=round(time.time() - t0))
        res['methods'] = scores({f'compact CNN, {base} base, MSE {steps} steps': net})
    elif cmd == 'sources':
        # the bundled model with its final (stage 3) or its stage-1b decoder (RUN/vqvae.safetensors), with the
        # transformer's tokens or neutral ones, and its stage-0 prior alone
        final, early = RealIISR.from_pretrained(), RealIISR.from_pretrained()
        early.vqvae.load_state_dict(load_vqvae(Path(sys.argv[2])/'vqvae.safetensors').state_dict())
        res['methods'] = scores({
            'final decoder, model tokens': lambda lr: final.super_resolve(lr).sr,
            'final decoder, neutral tokens': lambda lr: final.super_resolve(lr, tokens='neutral').sr,
            'stage-1b decoder, model tokens': lambda lr: early.super_resolve(lr).sr,
            'stage-1b decoder, neutral tokens': lambda lr: early.super_resolve(lr, tokens='neutral').sr,
            'stage-0 prior': final.prior_image})
    else: sys.exit(__doc__)
    out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(res, indent=1))
    for n, per in res['methods'].items():
        print(n, {k: {m: round(v, 4) for m, v in d.items()} for k, d in per.items()})
