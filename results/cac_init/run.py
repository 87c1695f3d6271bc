"""Does the CAC initialisation matter for training? One short run per variant, same seed, same data.

Stage 1: a micro tokenizer (`micro_config`, 16-px HR tiles, 32 codes) trained once on synthetic crops.
Stage 2: the micro Real-IISR trained from scratch twice with `fit`, once with `ConditionAdaptiveCodebook(variant='ours')`
and once with `variant='released'`; everything else (seed, batches, transformer init) is identical. Logged: the
losses, tanh(α), the RMS of the codebook offsets on a fixed validation batch, and validation PSNR with the CAC as
trained and with the CAC switched off (α = 0).

Run from the repository root:  OMP_NUM_THREADS=1 .venv/bin/python results/cac_init/run.py [STEPS=400] [SEED=0]
Writes results/cac_init/results_seed{SEED}.json. The numbers in notebook 06 were measured with the library of one
commit (`git archive <commit> realiisr_lite | tar -x -C scratch/snap`, then `PYTHONPATH=scratch/snap CODE_COMMIT=<commit> ...`).
"""
import copy, json, math, os, sys, time
from pathlib import Path
import torch
from realiisr_lite.core import seed_everything
from realiisr_lite.cac import ConditionAdaptiveCodebook
from realiisr_lite.model import RealIISR
from realiisr_lite.train import micro_config, make_datasets, hr_crops_for, fit, validate, collate
from realiisr_lite.vqvae import MultiScaleVQVAE, train_vqvae

STEPS, VQ_STEPS = int(sys.argv[1]) if len(sys.argv) > 1 else 400, 300
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 0
torch.set_num_threads(1)
cfg = micro_config(**{'train.steps': STEPS, 'train.seed': SEED, 'train.batch_size': 8, 'train.warmup': 20})
train_ds, val_ds = make_datasets('synthetic', cfg.hr_size, cfg.scale, SEED, n_val=64)
t0 = time.time()
vq, vq_hist = train_vqvae(MultiScaleVQVAE(cfg.vqvae), hr_crops_for(train_ds, cfg.hr_size, SEED), steps=VQ_STEPS, batch_size=32,
                          lr=2e-3, seed=SEED, progress=False, device='cpu')
print(f'tokenizer: {VQ_STEPS} steps in {time.time() - t0:.0f}s, final loss {vq_hist[-1]["loss"]:.4f}, '
      f'codebook RMS {vq.codebook.pow(2).mean().sqrt().item():.3f}')
probe = collate(val_ds, range(16))

def cac_state(model):
    "tanh(α) and the RMS of the codebook offsets Z'(g) − Z on a fixed validation batch (eval mode)."
    was = model.training; model.eval()
    with torch.no_grad():
        prefix, _, cb = model.condition(probe['lr'])
        off = cb - model.vqvae.codebook[None]
        h = model.cac.condition(torch.cat([prefix, model.var.start_tokens(prefix.shape[0], model.var.cond_pyramid(prefix))], 1))
    model.train(was)
    return dict(tanh_alpha=math.tanh(model.cac.alpha.item()), offset_rms=off.pow(2).mean().sqrt().item(),
                h_rms=h.pow(2).mean().sqrt().item(), UV_rms=(model.cac.U.pow(2).mean().sqrt().item(), model.cac.V.pow(2).mean().sqrt().item()))

results = {}
for variant in ('ours', 'released'):
    seed_everything(SEED)
    model = RealIISR(copy.deepcopy(cfg), copy.deepcopy(vq))
    model.cac = ConditionAdaptiveCodebook(cfg.vqvae.codebook_size, cfg.vqvae.latent_dim, cfg.var.embed_dim, cfg.cac_rank, variant=variant)
    track = [dict(step=0, **cac_state(model))]
    def on_log(rec, model=model, track=track):
        if rec['step'] % 25 == 0: track.append(dict(step=rec['step'], **cac_state(model)))
    t1 = time.time()
    hist = fit(model, train_ds, val_ds, progress=False, val_every=STEPS, ckpt_every=10 ** 9, on_log=on_log, device='cpu')
    seconds = time.time() - t1
    val = validate(model, val_ds)
    with torch.no_grad(): alpha = model.cac.alpha.item(); model.cac.alpha.fill_(0.)
    val_off = validate(model, val_ds)
    last = hist[-5:]
    results[variant] = dict(seconds=round(seconds), code_rms=model.vqvae.codebook.pow(2).mean().sqrt().item(), val=val, val_cac_off=val_off, alpha=alpha, track=track,
                            last5={k: sum(r[k] for r in last) / len(last) for k in ('total', 'ce', 'mse', 'toc', 'token_acc')})
    print(f"{variant:>9}: {seconds:.0f}s | last-5 loss {results[variant]['last5']} | val PSNR {val['psnr']:.3f} dB "
          f"(CAC off {val_off['psnr']:.3f}) | tanh α {math.tanh(alpha):+.4f} | offset RMS {track[-1]['offset_rms']:.2e} "
          f"(after 25 steps {track[1]['offset_rms']:.2e})")
out = Path(__file__).with_name(f'results_seed{SEED}.json')
out.write_text(json.dumps(dict(steps=STEPS, vq_steps=VQ_STEPS, seed=SEED, data='synthetic', config='micro_config',
                              code=os.environ.get('CODE_COMMIT', 'working tree'),
                              vq_final_loss=vq_hist[-1]['loss'], results=results), indent=1))
print('wrote', out)
