#!/usr/bin/env python
"""Blocks at the borders of the LR's pixels (`realiisr_lite.evaluate.block_edges`, grey levels) on the held-out TNO
frames, with PSNR and LPIPS-alex:

    python scripts/block_probe.py measure OUT.json          # bicubic, the two twins, the peer, the bundled model
    python scripts/block_probe.py sources RUN OUT.json      # which stage of the bundled run (RUN) adds them
    python scripts/block_probe.py base nearest|bicubic STEPS OUT.json
        # the compact CNN from Real-ESRGAN's weights, trained with MSE for STEPS on the 'thermal' data (the `tiny`
        # prior's batch, crops and learning rate), with Real-ESRGAN's nearest-neighbour base or a bicubic one
    python scripts/block_probe.py models NAME=MODEL_DIR [NAME=MODEL_DIR ...] OUT.json
        # trained models side by side, each at its default fidelity w and at w = 0 (the decoder's image alone)
    python scripts/block_probe.py zoom NAME=MODEL_DIR [NAME=MODEL_DIR ...] OUT.png
        # zoomed 96-px crops of a bright flat region of a defocus and a motion frame: bicubic, each model at w = 0 and
        # at its default, HR

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
    elif cmd == 'models':
        from realiisr_lite.inference import Decoding
        methods = {}
        for spec in sys.argv[2:-1]:
            name, path = spec.split('=', 1)
            m = RealIISR.from_pretrained(path or None)
            methods[name] = lambda lr, m=m: m.super_resolve(lr).sr
            methods[name + ', w = 0'] = lambda lr, m=m: m.super_resolve(lr, Decoding(fidelity=0.0)).sr
        res['methods'] = scores(methods)
    elif cmd == 'zoom':
        import numpy as np
        from realiisr_lite.evaluate import zoom_figure
        from realiisr_lite.inference import Decoding
        ds, size, methods = eval_dataset('tno'), 96, {'bicubic': bicubic_upscale}
        models = [(n, RealIISR.from_pretrained(p or None)) for n, p in (s.split('=', 1) for s in sys.argv[2:-1])]
        for n, m in models: methods[f'{n}, w = 0'] = lambda lr, m=m: m.super_resolve(lr, Decoding(fidelity=0.0)).sr
        for n, m in models: methods[f'{n}, w = {m.config.fidelity:g}'] = lambda lr, m=m: m.super_resolve(lr).sr
        picks = []
        for kind in ('defocus', 'motion'):           # the first frame of each kind; its brightest flat 96-px window
            i = next(j for j in range(len(ds)) if ds[j]['kind'] == kind)
            hr = ds[i]['hr'][0].numpy()
            gy, gx = np.abs(np.diff(hr, axis=0))[:, :-1], np.abs(np.diff(hr, axis=1))[:-1]
            cands = [(y, x) for y in range(0, hr.shape[0] - size, 16) for x in range(0, hr.shape[1] - size, 16)]
            grad = np.array([(gy + gx)[y:y + size, x:x + size].mean() for y, x in cands])
            mean = np.array([hr[y:y + size, x:x + size].mean() for y, x in cands])
            flat = grad <= np.median(grad)
            picks.append((i, cands[int(np.argmax(np.where(flat, mean, -1)))]))
        out.parent.mkdir(parents=True, exist_ok=True)
        zoom_figure(methods, ds, picks, size=size, path=out)
        res['picks'] = picks
        print(res); sys.exit(0)
    else: sys.exit(__doc__)
    out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(res, indent=1))
    for n, per in res['methods'].items():
        print(n, {k: {m: round(v, 4) for m, v in d.items()} for k, d in per.items()})
