"""Choose the default decoding on validation frames, never on the test sets: PSNR and LPIPS-alex of bicubic, the
Real-ESRGAN peer and the model at each setting, per degradation kind, on every `stride`-th frame of DATA.
Usage: python scripts/validate_settings.py MODEL DATA '{"name": {Decoding fields}}' STRIDE OUT.json"""
import sys, json, time, torch, numpy as np
from realiisr_lite.inference import RealIISR, Decoding
from realiisr_lite.evaluate import eval_dataset
from realiisr_lite.metrics import psnr, iqa_metric, bicubic_upscale, RealESRGANPeer
from realiisr_lite.train import load_regression
from pathlib import Path
torch.set_num_threads(1)
path, data = sys.argv[1], sys.argv[2]
variants = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {'default': {}}
stride = int(sys.argv[4]) if len(sys.argv) > 4 else 1
m = RealIISR.from_pretrained(path)
ds = eval_dataset(data)
lp = iqa_metric('lpips'); peer = RealESRGANPeer()
reg = Path(path)/'regression.safetensors'
twin = load_regression(reg) if reg.exists() else None
res = {}
t0 = time.time()
with torch.no_grad():
    for i in [i for i in range(len(ds)) if (i // 2) % stride == 0]:
        it = ds[i]; lr, hr = it['lr'][None], it['hr'][None]
        outs = {'bicubic': bicubic_upscale(lr).clamp(0, 1), 'peer': peer.super_resolve(lr)}
        if twin is not None: outs['twin'] = twin(lr).clamp(0, 1)
        for n, kw in variants.items(): outs[n] = m.super_resolve(lr, Decoding(**kw)).sr
        for n, sr in outs.items():
            res.setdefault((n, it['kind']), []).append((psnr(sr, hr).item(), lp(sr, hr).item()))
for k, v in sorted(res.items(), key=lambda kv: kv[0][1]): print(f'{k[1]:8s} {k[0]:12s} PSNR {np.mean(v, 0)[0]:.2f}  LPIPS {np.mean(v, 0)[1]:.4f}  n={len(v)}')
print('seconds', round(time.time() - t0))
if len(sys.argv) > 5:
    rows = [dict(method=n, kind=k, psnr=round(float(np.mean(v, 0)[0]), 4), lpips=round(float(np.mean(v, 0)[1]), 5), n=len(v))
            for (n, k), v in res.items()]
    Path(sys.argv[5]).parent.mkdir(parents=True, exist_ok=True)
    Path(sys.argv[5]).write_text(json.dumps(dict(command='python scripts/validate_settings.py ' + ' '.join(
        repr(a) if a.startswith('{') else a for a in sys.argv[1:]), settings=variants, rows=rows), indent=1))
