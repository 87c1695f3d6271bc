"""Does a plain blend of the two twins reach the bundled model's default point? PSNR and LPIPS-alex of
w·(MSE twin) + (1 − w)·(GAN twin), the twins bundled with the model, on the held-out test sets, per degradation kind;
compare with the model's own rows at the same w (results/pd_sweep/, where w blends its prior and its decoder).
Usage: python scripts/twin_blend.py OUT.json [DATA ...] (default data: tno raw16)"""
import sys, json, time, torch, numpy as np
from pathlib import Path
from realiisr_lite.evaluate import eval_dataset
from realiisr_lite.metrics import psnr, iqa_metric
from realiisr_lite.train import load_regression
from realiisr_lite.core import bundled_weights_dir
torch.set_num_threads(1)
out, datas = Path(sys.argv[1]), sys.argv[2:] or ['tno', 'raw16']
wdir = bundled_weights_dir('tiny')
mse, gan = load_regression(wdir/'regression.safetensors'), load_regression(wdir/'gan_twin.safetensors')
lp, ws, t0, res = iqa_metric('lpips'), (0.0, 0.25, 0.5, 0.75, 1.0), time.time(), {}
with torch.no_grad():
    for data in datas:
        ds, acc = eval_dataset(data), {}
        for i in range(len(ds)):
            it = ds[i]; lr, hr = it['lr'][None], it['hr'][None]
            a, b = mse(lr), gan(lr)
            for w in ws:
                sr = (w * a + (1 - w) * b).clamp(0, 1)
                acc.setdefault((w, it['kind']), []).append((psnr(sr, hr).item(), lp(sr, hr).item()))
        res[data] = [dict(w_mse=w, kind=k, n=len(v), psnr=round(float(np.mean(v, 0)[0]), 4), lpips=round(float(np.mean(v, 0)[1]), 5))
                     for (w, k), v in sorted(acc.items(), key=lambda kv: (kv[0][1], kv[0][0]))]
        for r in res[data]: print(data, r)
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(json.dumps(dict(command='python scripts/twin_blend.py ' + ' '.join(sys.argv[1:]), seconds=round(time.time() - t0),
                               what='w·(MSE twin) + (1 − w)·(GAN twin), clamped to [0, 1]', rows=res), indent=1))
print('seconds', round(time.time() - t0))
