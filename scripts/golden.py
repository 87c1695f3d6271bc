#!/usr/bin/env python
"""The bundled model's outputs on fixed inputs, recorded once so that a refactoring can prove it changed nothing.

    python scripts/golden.py            # write tests/golden/bundled.safetensors (after the bundled model changed)
    python scripts/golden.py --check    # compare (tests/test_golden.py does the same)

One CPU thread: the outputs are then the same bit for bit on every run of the same machine type."""
import argparse, sys
from pathlib import Path
import torch

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT/'tests'/'golden'/'bundled.safetensors'


def outputs() -> dict:
    "The default path and the main options of the bundled model on a fixed random LR image (40×56)."
    from realiisr_lite.inference import RealIISR
    torch.set_num_threads(1)
    m = RealIISR.from_pretrained()
    lr = torch.rand(1, 1, 40, 56, generator=torch.Generator().manual_seed(0))
    r = m.super_resolve(lr, intermediates=True)
    out = dict(lr=lr, default=r.sr, scale_3=r.scales[3], fidelity_1=m.super_resolve(lr, fidelity=1.0).sr,
               fidelity_0=m.super_resolve(lr, fidelity=0.0).sr,
               fidelity_half=m.super_resolve(lr, fidelity=0.5).sr, seed_7=m.super_resolve(lr, seed=7).sr,
               expected=m.super_resolve(lr, decode='expected').sr, greedy=m.super_resolve(lr, decode='greedy').sr,
               neutral=m.super_resolve(lr, tokens='neutral').sr, tta=m.super_resolve(lr, uncertainty=True, tta_views=2).uncertainty)
    return {k: v.contiguous() for k, v in out.items()}


def main(argv=None) -> int:
    from realiisr_lite.core import save_tensors_atomic, load_tensors
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0]); ap.add_argument('--check', action='store_true')
    ap.add_argument('--tolerance', type=float, default=0.0,
                    help='with --check: the mean |difference| allowed per output (0: bit for bit; another CPU type may round differently)')
    a = ap.parse_args(argv)
    got = outputs()
    if not a.check:
        save_tensors_atomic(got, GOLDEN, dict(what='bundled model outputs, one thread')); print(f'wrote {GOLDEN}'); return 0
    ref, _ = load_tensors(GOLDEN)
    diff = {k: (float((got[k] - ref[k]).abs().max()), float((got[k] - ref[k]).abs().mean())) for k in ref}
    bad = {k: d for k, d in diff.items() if (d[1] > a.tolerance if a.tolerance else d[0] > 0)}
    print('identical' if not any(d[0] for d in diff.values()) else f'max and mean |difference| per output: {diff}')
    return 1 if bad else 0


if __name__ == '__main__': sys.exit(main())
