"""Choose the default decoding on validation frames, never on the test sets: PSNR and LPIPS-alex of bicubic, the
Real-ESRGAN peer and the model at each setting, per degradation kind, on every `stride`-th frame of DATA.
Per frame it also asks the issue's question, "ahead of both peers?" (PSNR at or above bicubic's and LPIPS below the
peer's); the chosen setting is the one ahead on the largest share of frames in its worse kind (ties: lower LPIPS).
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
res, frames = {}, []
t0 = time.time()
with torch.no_grad():
    for i in [i for i in range(len(ds)) if (i // 2) % stride == 0]:
        it = ds[i]; lr, hr = it['lr'][None], it['hr'][None]
        outs = {'bicubic': bicubic_upscale(lr).clamp(0, 1), 'peer': peer.super_resolve(lr)}
        if twin is not None: outs['twin'] = twin(lr).clamp(0, 1)
        for n, kw in variants.items(): outs[n] = m.super_resolve(lr, Decoding(**kw)).sr
        f = dict(index=i, name=str(it.get('name', i)), kind=it['kind'])
        for n, sr in outs.items():
            p, l = psnr(sr, hr).item(), lp(sr, hr).item()
            res.setdefault((n, it['kind']), []).append((p, l))
            f[n] = dict(psnr=round(p, 4), lpips=round(l, 5))
        frames.append(f)
for k, v in sorted(res.items(), key=lambda kv: kv[0][1]): print(f'{k[1]:8s} {k[0]:12s} PSNR {np.mean(v, 0)[0]:.2f}  LPIPS {np.mean(v, 0)[1]:.4f}  n={len(v)}')
kinds = sorted({f['kind'] for f in frames})
ahead = {n: {k: float(np.mean([f[n]['psnr'] >= f['bicubic']['psnr'] and f[n]['lpips'] < f['peer']['lpips']
                                for f in frames if f['kind'] == k])) for k in kinds} for n in variants}
mean_lpips = {n: float(np.mean([np.mean(res[(n, k)], 0)[1] for k in kinds])) for n in variants}
chosen = max(variants, key=lambda n: (min(ahead[n].values()), -mean_lpips[n]))
for n in variants: print(f'{n:12s} ahead of both peers on ' + ', '.join(f'{k} {ahead[n][k]:.0%}' for k in kinds))
print('chosen', chosen, '| seconds', round(time.time() - t0))
if len(sys.argv) > 5:
    rows = [dict(method=n, kind=k, psnr=round(float(np.mean(v, 0)[0]), 4), lpips=round(float(np.mean(v, 0)[1]), 5), n=len(v))
            for (n, k), v in res.items()]
    Path(sys.argv[5]).parent.mkdir(parents=True, exist_ok=True)
    Path(sys.argv[5]).write_text(json.dumps(dict(command='python scripts/validate_settings.py ' + ' '.join(
        repr(a) if a.startswith('{') else a for a in sys.argv[1:]), settings=variants, rows=rows,
        ahead_of_both=ahead, chosen=chosen, frames=frames), indent=1))
