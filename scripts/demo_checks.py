#!/usr/bin/env python
"""What the demo's controls show, measured on the bundled model (or MODEL): PSNR, LPIPS-alex and mean level error
against bicubic (and the bundled twins) on the four built-in examples; on held-out TNO frames, how far the fidelity
slider's two ends are apart (mean and max |SR(w=0) − SR(w=1)| in 8-bit grey levels, LPIPS at both ends) and, for the
next-scale gallery, how far each scale's image is from the first one and how much the generated tokens of scales
1…k add to the neutral-token image.
Usage: python scripts/demo_checks.py [MODEL] [OUT.json] (default: results/demo/checks.json)."""
import json, sys, tempfile, time
from pathlib import Path
import torch
from realiisr_lite.app import make_examples
from realiisr_lite.core import bundled_weights_dir
from realiisr_lite.data import load_thermal
from realiisr_lite.evaluate import eval_dataset
from realiisr_lite.inference import RealIISR, Decoding
from realiisr_lite.metrics import psnr, iqa_metric, bicubic_upscale
from realiisr_lite.train import load_regression

torch.set_num_threads(1)
path = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] != '-' else None
out = Path(sys.argv[2] if len(sys.argv) > 2 else 'results/demo/checks.json')
model, lp = RealIISR.from_pretrained(path), iqa_metric('lpips')
W = bundled_weights_dir('tiny')                # the twins: does the VAR path, or any CNN trained on these data, err?
twins = {n: load_regression(W/f) for n, f in (('regression twin', 'regression.safetensors'),
                                                ('GAN twin', 'gan_twin.safetensors')) if (W/f).exists()}
lv = lambda a, b: (255 * (a - b).abs())
res = dict(command='python scripts/' + Path(__file__).name + ' ' + ' '.join(sys.argv[1:]), model=path or 'bundled',
           date=time.strftime('%Y-%m-%d'), examples=[], slider=[], gallery=[])
with torch.no_grad(), tempfile.TemporaryDirectory() as d:
    for ex in make_examples(d):
        lr, hr = load_thermal(ex['lr'])[0][None], load_thermal(ex['hr'])[0][None]
        row = dict(label=ex['label'])
        for name, sr in (('bicubic', bicubic_upscale(lr).clamp(0, 1)), ('Real-IISR-lite', model.super_resolve(lr).sr),
                         *((n, f(lr).float().clamp(0, 1)) for n, f in twins.items())):
            # level: mean SR − HR in 8-bit grey levels (the frame-level error of undoing the camera's AGC)
            row[name] = dict(psnr=round(psnr(sr, hr).item(), 3), lpips=round(lp(sr, hr).item(), 4),
                             level=round(255 * (sr - hr).mean().item(), 2))
        res['examples'].append(row)
    ds = eval_dataset('tno')
    for i in (0, 1):
        it = ds[i]; lr, hr = it['lr'][None], it['hr'][None]
        r0 = model.super_resolve(lr, Decoding(fidelity=0.0), intermediates=True)
        r1 = model.super_resolve(lr, Decoding(fidelity=1.0))
        d01 = lv(r0.sr, r1.sr)
        res['slider'].append(dict(item=i, kind=it['kind'], mean_levels=round(d01.mean().item(), 3),
                                  max_levels=round(d01.max().item(), 3), lpips_w0=round(lp(r0.sr, hr).item(), 4),
                                  lpips_w1=round(lp(r1.sr, hr).item(), 4)))
        res['gallery'].append(dict(item=i, kind=it['kind'], mean_levels_from_scale_1=[
            round(lv(s, r0.scales[0]).mean().item(), 3) for s in r0.scales],
            mean_levels_added=[round(lv(s, r0.neutral).mean().item(), 3) for s in r0.scales]))
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(json.dumps(res, indent=1))
print(json.dumps(res, indent=1))
