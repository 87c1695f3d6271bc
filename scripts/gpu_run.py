"""One GPU, a few minutes (`make gpu`): train the perceptual recipe (the bundled `tiny` design) at the larger `small`
size in bf16 on all the shared thermal data (TNO, HIT-UAV, synthetic), evaluate it with LPIPS and DISTS on held-out TNO
and the second camera (raw16) next to bicubic, Real-ESRGAN and its same-budget MSE and GAN twins, and write fp16 weights,
logs and JSON results under $OUT.

Steps are set from a time budget: each stage is timed for a few steps on random data first, then gets its share
of the budget. Every phase runs with its own time limit, so a slow phase costs its own result, not the others'.

  python scripts/gpu_run.py prepare-data --out .gpu_data      # here: the shared data and weights, as they travel
  REALIISR_SHARED_DATA=.gpu_data/data OUT=/tmp/out python scripts/gpu_run.py all --deadline 540

prepare-data keeps the data bit for bit (TNO's BMPs become PNGs only where load_thermal reads them the same) and the
ImageNet backbones of LPIPS and DISTS in float16 (they are upcast on loading); `--split-mb N` also cuts the folder
into parts of at most N MB (hard links), for a machine that takes only so much at a time.
"""
from __future__ import annotations
import argparse, json, math, os, shutil, subprocess, sys, tarfile, time, traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
T0 = time.time()
PART_BYTES = 15 * 2**20          # the device tool brings back files of at most 16 MiB


def log(*a):
    "Print with the seconds since start."
    print(f"[{time.time() - T0:6.1f}s]", *a, flush=True)


def prepare_data(src: Path, dst: Path) -> dict:
    "Copy the shared thermal images (data/) and weights (weights/) into dst: TNO as lossless PNGs, backbones in fp16."
    import numpy as np
    from PIL import Image
    from realiisr_lite.data import list_images, load_thermal
    from realiisr_lite.core import load_tensors, save_tensors_atomic
    n_png = n_copy = 0
    for p in list_images(src/'tno_lwir'):
        rel = p.relative_to(src)
        a = load_thermal(p)[0].numpy()
        out = dst/'data'/rel.with_suffix('.png')
        out.parent.mkdir(parents=True, exist_ok=True)
        ok = False
        if p.suffix.lower() in ('.bmp', '.tif', '.tiff') and 0 <= a.min() and a.max() <= 1:   # 8-bit grey: keep the PNG only
            Image.fromarray(np.round(a.squeeze() * 255).astype(np.uint8), 'L').save(out, optimize=True)   # if it reads the same
            ok = np.array_equal(load_thermal(out)[0].numpy(), a)
            if not ok: out.unlink()
        if ok: n_png += 1
        else:
            out = dst/'data'/rel; shutil.copy2(p, out); n_copy += 1
    for sub in ('hit_uav', 'wikimedia_cc0'):                       # JPEGs and 16-bit PNGs/TIFFs: as they are
        if (src/sub).is_dir(): shutil.copytree(src/sub, dst/'data'/sub, dirs_exist_ok=True)
    for f in src.glob('*.md'): shutil.copy2(f, dst/'data'/f.name)
    wsrc, n_half = src.parent/'weights', 0
    if wsrc.is_dir():
        (dst/'weights').mkdir(parents=True, exist_ok=True)
        for f in wsrc.iterdir():
            if f.name.startswith(('vgg16', 'alexnet')):          # ImageNet backbones: float16 (upcast when loaded)
                t, meta = load_tensors(f)
                save_tensors_atomic({k: v.half() if v.is_floating_point() else v for k, v in t.items()},
                                    dst/'weights'/f.name, meta); n_half += 1
            else: shutil.copy2(f, dst/'weights'/f.name)
    size = sum(f.stat().st_size for f in dst.rglob('*') if f.is_file())
    return dict(png=n_png, copied=n_copy, fp16_backbones=n_half, megabytes=round(size / 2**20, 1))


FIRST = ('weights', 'data/tno_lwir', 'data/wikimedia_cc0', 'data/SOURCES.md')   # what a first part can run on alone


def split_parts(folder: Path, limit_mb: float, first=FIRST) -> list[dict]:
    "Hard-link folder's files into folder.part0, .part1, … of at most limit_mb each, the paths under `first` first."
    rank = lambda f: next((i for i, q in enumerate(first) if f.is_relative_to(folder/q)), len(first))
    files = sorted((f for f in folder.rglob('*') if f.is_file()), key=lambda f: (rank(f), str(f)))
    parts, size, cap = [[]], 0, limit_mb * 2**20
    for f in files:
        n = f.stat().st_size
        if n > cap: raise ValueError(f"{f} alone is larger than {limit_mb} MB")
        if size + n > cap: parts.append([]); size = 0
        parts[-1].append(f); size += n
    out = []
    for i, fs in enumerate(parts):
        d = folder.with_name(f'{folder.name}.part{i}')
        if d.exists(): shutil.rmtree(d)
        for f in fs:
            t = d/f.relative_to(folder); t.parent.mkdir(parents=True, exist_ok=True); os.link(f, t)
        out.append(dict(part=d.name, files=len(fs), megabytes=round(sum(f.stat().st_size for f in fs) / 2**20, 1)))
    return out


def timed(step, n: int = 6, warm: int = 2) -> float:
    "Seconds per call of `step` (after warm-up calls), synchronising the GPU."
    import torch
    for _ in range(warm): step()
    if torch.cuda.is_available(): torch.cuda.synchronize()
    t = time.time()
    for _ in range(n): step()
    if torch.cuda.is_available(): torch.cuda.synchronize()
    return (time.time() - t) / n


def calibrate(cfg, dev, batches=None, reused: bool = False) -> dict:
    "Seconds per training step of stages 0, 1 (1a tokens, 1b decoder), 2 and 3 on random data; picks stage 2's batch."
    import torch, torch.nn.functional as F
    from dataclasses import replace
    from realiisr_lite.model import make_prior
    from realiisr_lite.inference import RealIISR
    from realiisr_lite.vqvae import MultiScaleVQVAE
    from realiisr_lite.train import make_optimizer
    from realiisr_lite.losses import PerceptualGANLoss
    from realiisr_lite.core import bf16_is_fast
    tc, S, s = cfg.train, cfg.hr_size, cfg.scale
    amp = tc.amp and bf16_is_fast(dev)
    res = dict(prior=0.0, vq=0.0)
    h, compact = tc.prior_hr_size, cfg.vqvae.decoder == 'compact'
    # the compact decoder's objective (L1 + LPIPS-vgg + PatchGAN, the discriminator on), as stages 1b and 3 train it
    crit = PerceptualGANLoss(tc.perceptual, tc.gan, 0, disc_layers=tc.disc_layers).to(dev) if compact else None
    if not reused:                                      # else stages 0 and 1 come from an earlier run: time 2 and 3 only
        net = make_prior(cfg).to(dev)
        opt = torch.optim.AdamW(net.parameters(), 1e-4)
        lr0, hr0 = torch.rand(tc.prior_batch_size, 1, h // s, h // s, device=dev), torch.rand(tc.prior_batch_size, 1, h, h, device=dev)
        def st0():
            loss = F.l1_loss(net(lr0), hr0); opt.zero_grad(); loss.backward(); opt.step()
        res['prior'] = timed(st0)
        vq1 = MultiScaleVQVAE(replace(cfg.vqvae, decoder='conv') if compact else cfg.vqvae).to(dev).train()   # stage 1(a)
        opt = torch.optim.AdamW(vq1.parameters(), 1e-4)
        x1 = torch.rand(tc.vq_batch_size, 1, S, S, device=dev) - 0.5
        def st1():
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp): r, q, _, _ = vq1(x1)
            loss = F.l1_loss(r.float(), x1) + q
            opt.zero_grad(); loss.backward(); opt.step()
        res['vq'] = timed(st1) + res['prior'] * tc.vq_batch_size * S * S / (tc.prior_batch_size * h * h) / 3   # + the prior's forward
        del vq1, net
    vq = MultiScaleVQVAE(cfg.vqvae).to(dev).eval().requires_grad_(False)
    model = RealIISR(cfg, vq).to(dev).train()
    opt, _ = make_optimizer(model, tc)
    per_sample = {}
    for B in batches or [tc.batch_size]:                # the largest batch that fits and still gains throughput
        lr2, hr2 = torch.rand(B, 1, S // s, S // s, device=dev), torch.rand(B, 1, S, S, device=dev)
        def st2():
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp): loss, _ = model(lr2, hr2)
            opt.zero_grad(); loss.backward(); opt.step()
        try: per_sample[B] = timed(st2, n=4) / B
        except torch.cuda.OutOfMemoryError:
            if dev.type == 'cuda': torch.cuda.empty_cache()
            break
    best = min(per_sample.values())
    tc.batch_size = max(B for B, t in per_sample.items() if t <= best / 0.9)
    res['stage2'] = per_sample[tc.batch_size] * tc.batch_size
    res['stage2_seconds_per_sample'] = {B: round(t, 6) for B, t in per_sample.items()}
    lr2, hr2 = torch.rand(tc.batch_size, 1, S // s, S // s, device=dev), torch.rand(tc.batch_size, 1, S, S, device=dev)
    model.eval()
    fid = model.vqvae.fidelity
    params = (list(fid.parameters()) if fid is not None else []) + \
             (list(model.vqvae.decoder.parameters()) if tc.fid_decoder or compact else [])
    for p in params: p.requires_grad_(True)
    opt = torch.optim.AdamW(params + (list(crit.disc.parameters()) if crit is not None and crit.disc is not None else []), 1e-4)
    def perceptual_step(sr):                            # generator step, then the discriminator's (as fit_perceptual)
        loss = crit.generator_loss(sr.float(), hr2, model.vqvae.decoder.last_layer, 1)[0]
        opt.zero_grad(); loss.backward()
        if crit.disc is not None:
            for q in crit.disc.parameters(): q.grad = None
            crit.discriminator_loss(sr.detach().float(), hr2).backward()
        opt.step()
    def st1b():                                         # stage 1b: the decoder on the true tokens of HR − prior
        with torch.no_grad():
            p = model.prior_image(lr2); fh = model.vqvae.idx_to_fhat(model.vqvae.img_to_idx(hr2 - p))
        perceptual_step(model.vqvae.decoder(fh, lr2))
    def st3():
        with torch.no_grad():
            p = model.prior_image(lr2)
            fh = model.generate_tiles(lr2, prior_B1HW=p, image=False)['fhat']
        if compact: perceptual_step(model.vqvae.decoder(fh, lr2))
        else:
            loss = F.l1_loss(model.decode_fhat(fh, lr2, p, 1.0).float(), hr2)
            opt.zero_grad(); loss.backward(); opt.step()
    if compact and not reused: res['decoder'] = timed(st1b, n=3, warm=1)
    res['stage3'] = timed(st3, n=3, warm=1) if fid is not None or compact else 0.0
    del model, vq, opt
    if dev.type == 'cuda': torch.cuda.empty_cache()
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in res.items()} | dict(batch_size=tc.batch_size)


SHARES = dict(prior=0.14, vq=0.10, decoder=0.22, stage2=0.40, stage3=0.14)


def plan_steps(cfg, sec: dict, budget: float, safety: float = 1.25) -> dict:
    "Steps of each stage so that the stages together take about `budget` seconds (shares in SHARES)."
    tc = cfg.train
    used = {k: v for k, v in SHARES.items() if sec.get(k)}            # stages that run (not reused from an earlier run)
    steps = {k: max(20, int(budget * v / sum(used.values()) / (sec[k] * safety))) for k, v in used.items()}
    tc.prior_steps, tc.vq_steps = steps.get('prior', tc.prior_steps), steps.get('vq', tc.vq_steps)
    if 'decoder' in steps:                              # stage 1b; its discriminator starts a third of the way in
        tc.decoder_steps, tc.gan_start = steps['decoder'], min(tc.gan_start, steps['decoder'] // 3)
    tc.steps, tc.fid_steps = steps['stage2'], steps.get('stage3', 0)
    tc.warmup = min(tc.warmup, max(1, tc.steps // 10))
    return steps


def run_train(args) -> dict:
    "Calibrate, plan the steps, start the twin in a second process, train stages 0-3 with the library's `train`."
    import torch
    from realiisr_lite.config import get_config
    from realiisr_lite.train import train, make_datasets, twin_steps
    torch.backends.cuda.matmul.allow_tf32 = True; torch.backends.cudnn.allow_tf32 = True
    dev = torch.device(args.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    cfg = get_config(args.config, dict(kv.split('=', 1) for kv in (args.set or [])))
    out = Path(args.run); out.mkdir(parents=True, exist_ok=True)
    if args.reuse:                                      # stages 0 and 1 from an earlier run (the train command reuses them)
        for f in ('prior.safetensors', 'vqvae.safetensors'): shutil.copy2(Path(args.reuse)/f, out/f)
    t = time.time()
    make_datasets(args.data, cfg.hr_size, cfg.scale, cfg.train.seed, pool=cfg.train.pool)    # the pair pool, once
    log(f"pair pool ready ({cfg.train.pool} pairs) in {time.time() - t:.0f}s")
    sec = calibrate(cfg, dev, [int(b) for b in args.batches.split(',')] if args.batches else None, reused=bool(args.reuse))
    budget = args.train_budget if args.train_budget else max(30.0, args.deadline - (time.time() - T0) - args.reserve)
    steps = plan_steps(cfg, sec, budget)
    n_twin = twin_steps(cfg)
    log(f"seconds/step {sec}; budget {budget:.0f}s -> steps {steps}; twin {n_twin} steps")
    (out/'plan.json').write_text(json.dumps(dict(seconds_per_step=sec, budget_s=round(budget), steps=steps, twin_steps=n_twin,
                                                 config=cfg.to_dict()), indent=1))
    twin = None if args.no_twin else subprocess.Popen([sys.executable, __file__, 'twin', '--run', str(out), '--data', args.data, '--config', args.config,
                             '--steps', str(n_twin), '--device', str(dev)] + (['--set', *args.set] if args.set else []),
                            stdout=open(out/'twin.log', 'w'), stderr=subprocess.STDOUT)
    cmd = (f"python scripts/gpu_run.py all --config {args.config} --data {args.data} (steps from a {budget:.0f}-s budget: "
           f"prior {cfg.train.prior_steps}, tokenizer {cfg.train.vq_steps}, decoder {cfg.train.decoder_steps}, stage 2 {cfg.train.steps} at batch {cfg.train.batch_size}, "
           f"stage 3 {cfg.train.fid_steps})")
    t = time.time()
    res = train(cfg, data=args.data, out=out, progress=False, val_every=max(50, cfg.train.steps // 4), ckpt_every=10**9,
                command=cmd, device=dev)
    res['train_seconds'] = round(time.time() - t)
    log(f"trained in {res['train_seconds']}s: {res.get('final')} {res.get('final_stage3')}")
    left = max(5.0, args.deadline - (time.time() - T0) - args.reserve + 60)
    try: res['twin_rc'] = twin.wait(timeout=left) if twin else 'not trained (--no-twin)'
    except subprocess.TimeoutExpired:
        twin.kill(); res['twin_rc'] = 'killed (over its time)'
    log(f"twin: {res['twin_rc']}")
    res.update(seconds_per_step=sec, steps=steps, twin_steps=n_twin, budget_s=round(budget))
    (out/'train_result.json').write_text(json.dumps(res, indent=1, default=str))
    return res


def run_twin(args):
    "The twins (the library's `train_twins`): the prior's CNN, data and batch, as many HR pixels as the model's stages."
    import torch
    from realiisr_lite.config import get_config, RealIISRConfig
    from realiisr_lite.train import train_twins, twin_steps, git_commit
    torch.backends.cuda.matmul.allow_tf32 = True; torch.backends.cudnn.allow_tf32 = True
    plan = Path(args.run)/'plan.json'                  # the planned steps: the twins see as many HR pixels as the stages
    cfg = (RealIISRConfig.from_dict(json.loads(plan.read_text())['config']) if plan.exists() else
           get_config(args.config, dict(kv.split('=', 1) for kv in (args.set or []))))
    if args.steps and twin_steps(cfg) != args.steps: raise RuntimeError(f"twin steps {twin_steps(cfg)} != planned {args.steps}")
    t = time.time()
    res = train_twins(cfg, args.data, Path(args.run), progress=False, device=args.device,
                      info=dict(command=f"scripts/gpu_run.py twin (same data and HR pixels as {args.config})", data=args.data,
                                seed=cfg.train.seed, commit=os.environ.get('REALIISR_COMMIT') or git_commit()))
    print(f"twins {sorted(res)} in {time.time() - t:.0f}s", flush=True)


def sh(cmd: list[str], limit: float, logf: Path) -> int | str:
    "Run a command with a time limit, appending its output to logf; the return code or 'timeout'."
    log('$', ' '.join(cmd))
    with open(logf, 'a') as f:
        f.write('$ ' + ' '.join(cmd) + '\n'); f.flush()
        try: return subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, timeout=max(1.0, limit)).returncode
        except subprocess.TimeoutExpired: return 'timeout'


def pack(run: Path, work: Path, out: Path, summary: dict, name: str = 'small'):
    "Write the fp16 model folder, the twin, eval report and logs into $OUT: summary.json, reports, and ≤15 MiB tar parts."
    import torch
    from realiisr_lite.inference import load_pretrained, save_pretrained
    ship = work/'ship'/name
    if (run/'model'/'model.safetensors').exists():
        m = load_pretrained(run/'model')
        save_pretrained(m, ship, m.meta, dtype=torch.float16)
        from realiisr_lite.core import load_tensors, save_tensors_atomic
        for twin in ('regression', 'gan_twin'):                         # the twins in float16 too (load_regression upcasts)
            if (run/f'{twin}.safetensors').exists():
                t, meta = load_tensors(run/f'{twin}.safetensors')
                save_tensors_atomic({k: v.half() for k, v in t.items()}, ship/f'{twin}.safetensors', meta)
    for f in ('plan.json', 'train_result.json', 'twin.log'):
        if (run/f).exists(): shutil.copy2(run/f, work/'ship'/f)
    for ev in work.glob('eval_*'): shutil.copytree(ev, work/'ship'/ev.name, dirs_exist_ok=True)
    for f in work.glob('bench_*.json'): shutil.copy2(f, work/'ship'/f.name)
    tar = work/'ship.tar'
    with tarfile.open(tar, 'w') as t: t.add(work/'ship', arcname='ship')
    data, parts = tar.read_bytes(), []
    for i in range(0, len(data), PART_BYTES):
        p = out/f'ship.tar.{i // PART_BYTES:02d}'; p.write_bytes(data[i:i + PART_BYTES]); parts.append(p.name)
    for ev in work.glob('eval_*'):                     # the tables in summary.json too (the device returns 8 files at most)
        if (ev/'report.md').exists(): summary[ev.name] = (ev/'report.md').read_text()
    summary.update(parts=parts, tar_bytes=len(data))
    (out/'summary.json').write_text(json.dumps(summary, indent=1, default=str))


def run_all(args):
    "Every GPU job of this project in one call: environment, training, evaluation, benchmarks, packing."
    out = Path(os.environ.get('OUT') or args.out); out.mkdir(parents=True, exist_ok=True)
    work = Path(args.work); work.mkdir(parents=True, exist_ok=True)
    run, logf, py = work/'run', out/'log.txt', sys.executable
    summary = dict(started=time.strftime('%Y-%m-%d %H:%M:%S'), commit=os.environ.get('REALIISR_COMMIT', 'unknown'), phases={})
    try:
        import torch
        summary['env'] = dict(torch=torch.__version__, cuda=torch.cuda.is_available(),
                              gpu=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None, cpus=os.cpu_count())
        log(summary['env'])
    except Exception as e: summary['env'] = repr(e)
    end = lambda: args.deadline - (time.time() - T0)
    train_cmd = [py, __file__, 'train', '--run', str(run), '--config', args.config, '--data', args.data,
                 '--deadline', str(args.deadline), '--reserve', str(args.reserve), '--batches', args.batches] \
                + (['--reuse', args.reuse] if args.reuse else []) + (['--no-twin'] if args.no_twin else []) + (['--set', *args.set] if args.set else []) \
                + (['--device', args.device] if args.device else []) + (['--train-budget', str(args.train_budget)] if args.train_budget else [])
    summary['phases']['train'] = sh(train_cmd, end() - args.reserve + 90, logf)
    dev = ['--device', args.device] if args.device else []
    sets = [d for d in args.eval_data.split(',') if d]
    if (run/'model'/'model.safetensors').exists():
        for i, data in enumerate(sets):
            ev = [py, '-m', 'realiisr_lite.cli', 'eval', '--data', data, '--model', f'{args.config} (GPU)={run/"model"}',
                  '--fit-gain-offset', '--out', str(work/f'eval_{data}')] + dev
            for twin, name in (('regression', 'MSE twin'), ('gan_twin', 'GAN twin')):
                if (run/f'{twin}.safetensors').exists(): ev += ['--regression', f'{args.config} {name}={run/f"{twin}.safetensors"}']
            if not args.no_bundled_rows:
                ev += ['--model', f'tiny (bundled)={ROOT/"realiisr_lite/weights/tiny"}']
            if args.eval_items: ev += ['--max-items', str(args.eval_items)]
            pending = (0 if args.no_bench_model else 45) + 25 * len([c for c in args.bench_configs.split(',') if c]) + 12
            summary['phases'][f'eval_{data}'] = sh(ev, min(args.eval_limit, (end() - pending) / (len(sets) - i)), logf)
        if not args.no_bench_model: summary['phases']['bench_model'] = sh([py, '-m', 'realiisr_lite.cli', 'bench', '--image', '128', '--model', str(run/'model'),
                                                '--repeats', '3', '--json', str(work/'bench_small_128.json')] + dev, min(60, end() - 45), logf)
    for c in args.bench_configs.split(','):
        if c: summary['phases'][f'bench_{c}'] = sh([py, '-m', 'realiisr_lite.cli', 'bench', '--config', c, '--bf16', '--repeats', '3',
                                                     '--json', str(work/f'bench_{c}.json')] + dev, min(60, end() - 25), logf)
    for f in work.glob('bench_*.json'):
        try: summary[f.stem] = json.loads(f.read_text())
        except Exception: pass
    for f in ('plan.json', 'train_result.json'):
        if (run/f).exists(): summary[f.split('.')[0]] = json.loads((run/f).read_text())
    try: pack(run, work, out, summary, args.config)
    except Exception:
        summary['pack_error'] = traceback.format_exc(); (out/'summary.json').write_text(json.dumps(summary, indent=1, default=str))
    log('done', summary['phases'])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('what', choices=['all', 'train', 'twin', 'prepare-data'])
    p.add_argument('--config', default='small'); p.add_argument('--set', nargs='*', metavar='KEY=VALUE')
    p.add_argument('--data', default='thermal'); p.add_argument('--eval-data', default='tno,raw16')
    p.add_argument('--eval-items', type=int); p.add_argument('--eval-limit', type=float, default=150)
    p.add_argument('--bench-configs', default='paper')
    p.add_argument('--deadline', type=float, default=540, help='seconds for everything (the device allows 10 minutes a call)')
    p.add_argument('--reserve', type=float, default=230, help='seconds kept for evaluation, benchmarks and packing')
    p.add_argument('--train-budget', type=float, help='seconds for the four training stages (default: what the deadline leaves)')
    p.add_argument('--run'); p.add_argument('--work', default='/tmp/realiisr_gpu'); p.add_argument('--out', default='out/gpu')
    p.add_argument('--steps', type=int); p.add_argument('--device')
    p.add_argument('--reuse', metavar='DIR', help='take stages 0 and 1 (prior.safetensors, vqvae.safetensors) from an earlier run')
    p.add_argument('--no-twin', action='store_true'); p.add_argument('--no-bundled-rows', action='store_true')
    p.add_argument('--no-bench-model', action='store_true')
    p.add_argument('--batches', default='64,128,256', help="stage-2 batch sizes to try (the largest that fits and still gains throughput)")
    p.add_argument('--src', default=str(ROOT.parent/'shared'/'data'))
    p.add_argument('--split-mb', type=float, help='prepare-data: also cut the folder into parts of at most this many MB')
    args = p.parse_args(argv)
    if args.what == 'prepare-data':
        print(prepare_data(Path(args.src), Path(args.out)))
        if args.split_mb: print(split_parts(Path(args.out), args.split_mb))
    elif args.what == 'train': run_train(args)
    elif args.what == 'twin': run_twin(args)
    else: run_all(args)


if __name__ == '__main__':
    main()
