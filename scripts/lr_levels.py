"""The SR's low frequencies taken from the LR, its high frequencies kept: an inference-only level correction, measured.

SR' = SR − G_σ(SR) + G_σ(bicubic(LR)), G_σ a Gaussian of σ HR pixels. It gives the SR the LR's local levels (what a
radiometric camera measured) and keeps the detail above the cut; the model's own level correction (it learned to
undo the camera's AGC) is given up. Rows: bicubic, Real-ESRGAN, the bundled model, and the model corrected at each σ.

  python scripts/lr_levels.py --data hituav,tno,raw16,celsius --sigmas 1,2,4,8 --out results/lr_levels
"""
import argparse, json, time
from pathlib import Path
import torch, torch.nn.functional as F
from realiisr_lite.evaluate import evaluate, eval_dataset, sr_methods
from realiisr_lite.metrics import bicubic_upscale, gaussian_window
from realiisr_lite.inference import RealIISR


def gaussian_blur(x_B1HW, sigma: float) -> torch.Tensor:
    "Gaussian blur of σ pixels (SSIM's window function, 3σ each side), reflected at the borders."
    r = int(3 * sigma + 0.5)
    return F.conv2d(F.pad(x_B1HW, (r, r, r, r), mode='reflect'), gaussian_window(2 * r + 1, sigma).float()[None, None])


def lr_levels(sr_B1HW, lr_B1hw, sigma: float) -> torch.Tensor:
    "The SR with its frequencies below σ replaced by those of the bicubic LR, clipped to [0, 1]."
    up = bicubic_upscale(lr_B1hw).float()
    return (sr_B1HW - gaussian_blur(sr_B1HW, sigma) + gaussian_blur(up, sigma)).clamp(0, 1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', default='hituav,tno,raw16,celsius'); p.add_argument('--sigmas', default='1,2,4,8')
    p.add_argument('--model', default=None, help='model folder (default: the bundled model)')
    p.add_argument('--out', default='results/lr_levels')
    a = p.parse_args()
    torch.set_num_threads(1)
    sigmas, out = [float(s) for s in a.sigmas.split(',')], Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    model, cache = RealIISR.from_pretrained(a.model), {}
    def sr(lr):                                        # the model's SR of the current item, made once for all rows
        k = hash(lr.numpy().tobytes())
        if k not in cache: cache.clear(); cache[k] = model.super_resolve(lr).sr.float().clamp(0, 1)
        return cache[k]
    methods = dict(sr_methods(peer=True), **{'Real-IISR-lite': sr},
                   **{f'Real-IISR-lite, LR levels σ={s:g}': (lambda lr, s=s: lr_levels(sr(lr), lr, s)) for s in sigmas})
    for data in a.data.split(','):
        t = time.time()
        rep = evaluate(methods, eval_dataset(data), extra_metrics=('lpips', 'dists'), pyiqa_check=False,
                       gain_offset_fit=True)
        (out/f'{data}.json').write_text(json.dumps(dict(data=data, sigmas=sigmas, seconds=round(time.time() - t),
                                                        summary=rep.summary(), rows=rep.rows), indent=0))
        print(data, f'{time.time() - t:.0f} s')
        print(rep.table(columns=None if data == 'celsius' else ['psnr', 'psnr_fit', 'lpips', 'dists'], fmt='text'), flush=True)


if __name__ == '__main__':
    main()
