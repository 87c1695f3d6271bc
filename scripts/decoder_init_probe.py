#!/usr/bin/env python
"""Where the decoder starts: the bundled recipe starts the 'compact' decoder of stage 1b as the stage-0 prior (a
Real-ESRGAN compact net fine-tuned with MSE); the GAN twin starts from Real-ESRGAN's own weights. This probe retrains
stages 1b and 3 of the bundled run with the decoder started from Real-ESRGAN's weights, on the bundled run's prior,
tokenizer and transformer, then measures blocks (`block_edges`), PSNR and LPIPS-alex on the held-out TNO frames next to
the bundled model and both twins:

    python scripts/decoder_init_probe.py RUN OUT_DIR OUT.json [KEY=VALUE ...]

RUN: a training run folder (prior.safetensors, tokenizer.safetensors), or `bundled` for the bundled model's own prior
and tokenizer; KEY=VALUE: config overrides of the retrained stages, e.g. train.block_weight=10 (the block-step penalty
of notebook 07). Threads: $OMP_NUM_THREADS (default 1); stages 1b and 3 resume exactly from OUT_DIR. The transformer
is the bundled one, trained with the old stage-1b decoder: a probe of the decoder's start, not a new recipe."""
import json, os, sys, time
from pathlib import Path
import torch
from realiisr_lite.config import get_config
from realiisr_lite.core import bundled_weights_dir, seed_everything
from realiisr_lite.inference import Decoding, RealIISR
from realiisr_lite.model import save_pretrained
from realiisr_lite.train import fit_perceptual, init_decoder, load_regression, make_datasets
from realiisr_lite.vqvae import load_vqvae, save_vqvae

sys.path.insert(0, str(Path(__file__).parent))
from block_probe import scores                                        # noqa: E402  (the same measurement)

torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', 1)))

if __name__ == '__main__':
    run, out, report, sets = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4:]
    out.mkdir(parents=True, exist_ok=True)
    cfg = get_config('tiny', dict(decoder_init='realesrgan', **dict(kv.split('=', 1) for kv in sets))); tc = cfg.train
    train_ds, val_ds = make_datasets('thermal', cfg.hr_size, cfg.scale, tc.seed, pool=tc.pool)
    bundled = RealIISR.from_pretrained()
    prior = bundled.prior if run == 'bundled' else load_regression(Path(run)/'prior.safetensors')
    if not (out/'vqvae.safetensors').exists():               # stage 1b, the decoder from Real-ESRGAN's weights
        tok = bundled.vqvae if run == 'bundled' else load_vqvae(Path(run)/'tokenizer.safetensors')
        seed_everything(tc.seed)
        m1 = RealIISR(cfg)
        m1.prior.load_state_dict(prior.state_dict())
        m1.vqvae.load_state_dict({k: v for k, v in tok.state_dict().items()
                                  if k.startswith(('encoder.', 'quantizer.'))}, strict=False)
        init_decoder(m1, prior)                              # decoder_init='realesrgan' (notebook 09)
        fit_perceptual(m1, train_ds, val_ds, out, stage=1, resume=True, val_every=400)
        save_vqvae(m1.vqvae, out/'vqvae.safetensors', dict(stage='1b', decoder_init='realesrgan', overrides=sets))
    if not (out/'model'/'config.json').exists():            # stage 3 on the bundled transformer's samples
        t3 = time.time()
        model = RealIISR(cfg, load_vqvae(out/'vqvae.safetensors'))
        model.load_state_dict({k: v for k, v in bundled.state_dict().items() if not k.startswith('vqvae.')},
                              strict=False)
        model.prior.load_state_dict(prior.state_dict())
        fit_perceptual(model, train_ds, val_ds, out, stage=3, resume=True, val_every=400)
        save_pretrained(model, out/'model', dict(probe='decoder from Real-ESRGAN weights',
                                                 seconds_stage3=round(time.time() - t3)))
    probe = RealIISR.from_pretrained(out/'model')
    W = bundled_weights_dir('tiny')
    twin, gan = load_regression(W/'regression.safetensors'), load_regression(W/'gan_twin.safetensors')
    name = 'Real-IISR-lite (decoder from Real-ESRGAN' + ''.join(f', {s}' for s in sets) + ')'
    res = dict(command='python scripts/decoder_init_probe.py ' + ' '.join(sys.argv[1:]), date=time.strftime('%Y-%m-%d'),
               fidelity_default=probe.config.fidelity, methods=scores({
                   'regression twin': twin, 'GAN twin': gan,
                   'Real-IISR-lite (bundled: decoder from the prior)': lambda lr: bundled.super_resolve(lr).sr,
                   name: lambda lr: probe.super_resolve(lr).sr,
                   # w = 0: the decoder's image alone, where its blocks are not halved by the prior's
                   'Real-IISR-lite (bundled: decoder from the prior), w = 0':
                       lambda lr: bundled.super_resolve(lr, Decoding(fidelity=0.0)).sr,
                   name + ', w = 0': lambda lr: probe.super_resolve(lr, Decoding(fidelity=0.0)).sr}))
    report.write_text(json.dumps(res, indent=1))
    print(json.dumps(res['methods'], indent=1))
