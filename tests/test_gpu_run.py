"""scripts/gpu_run.py (`make gpu`): the parts that run without a GPU — the data copy that travels to the GPU machine
and the step plan made from a time budget."""
import importlib.util, sys
from pathlib import Path
import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location('gpu_run', ROOT/'scripts'/'gpu_run.py')
gpu_run = importlib.util.module_from_spec(spec); spec.loader.exec_module(gpu_run)


def test_prepare_data_is_lossless(tmp_path):
    "BMPs become PNGs only where load_thermal then reads the same array; backbones become float16, the rest is copied."
    import torch
    from safetensors.torch import save_file, load_file
    from realiisr_lite.data import load_thermal, tno_split
    rng = np.random.default_rng(0)
    src = tmp_path/'shared'/'data'
    for i, mode in enumerate(['L', 'RGB', 'L']):
        d = src/'tno_lwir'/f'scene{i}'; d.mkdir(parents=True)
        a = rng.integers(0, 256, (40, 48), dtype=np.uint8)
        img = Image.fromarray(a, 'L') if mode == 'L' else Image.fromarray(np.stack([a] * 3, -1), 'RGB')
        img.save(d/'LWIR.bmp')
    (src/'hit_uav').mkdir(); Image.fromarray(rng.integers(0, 256, (32, 40), dtype=np.uint8), 'L').save(src/'hit_uav'/'0_1.jpg')
    w = tmp_path/'shared'/'weights'; w.mkdir()
    vgg = {'features.0.weight': torch.randn(4, 3, 3, 3), 'features.0.bias': torch.randn(4)}
    save_file(vgg, w/'vgg16_imagenet_features.safetensors'); save_file({'x': torch.randn(3)}, w/'realesr-general-x4v3.safetensors')
    dst = tmp_path/'dst'
    res = gpu_run.prepare_data(src, dst)
    assert res['png'] == 3 and res['copied'] == 0 and res['fp16_backbones'] == 1
    for i in range(3):
        a = load_thermal(src/'tno_lwir'/f'scene{i}'/'LWIR.bmp')[0]
        b = load_thermal(dst/'data'/'tno_lwir'/f'scene{i}'/'LWIR.png')[0]
        assert np.array_equal(a.numpy(), b.numpy())
    assert [p.parent.name for p in sum(tno_split(dst/'data'/'tno_lwir', n_test_scenes=1), [])] == \
           [p.parent.name for p in sum(tno_split(src/'tno_lwir', n_test_scenes=1), [])]
    assert (dst/'data'/'hit_uav'/'0_1.jpg').read_bytes() == (src/'hit_uav'/'0_1.jpg').read_bytes()
    half = load_file(dst/'weights'/'vgg16_imagenet_features.safetensors')
    for k, v in vgg.items():
        assert half[k].dtype == torch.float16 and torch.equal(half[k], v.half())
    assert (dst/'weights'/'realesr-general-x4v3.safetensors').read_bytes() == (w/'realesr-general-x4v3.safetensors').read_bytes()


def test_split_parts(tmp_path):
    "Every file lands in exactly one part, as a hard link; no part is over the limit; weights and TNO travel first."
    folder = tmp_path/'g'
    sizes = {'weights/a.safetensors': 300_000, 'data/hit_uav/1.jpg': 300_000, 'data/hit_uav/2.jpg': 400_000,
             'data/tno_lwir/s/3.png': 500_000}
    for rel, n in sizes.items():
        f = folder/rel; f.parent.mkdir(parents=True, exist_ok=True); f.write_bytes(b'\0' * n)
    parts = gpu_run.split_parts(folder, 0.8)                 # 0.8 MB = 838,860 bytes
    got = {}
    for p in parts:
        d = tmp_path/p['part']
        files = [f for f in d.rglob('*') if f.is_file()]
        assert sum(f.stat().st_size for f in files) <= 0.8 * 2**20 and len(files) == p['files']
        for f in files:
            rel = str(f.relative_to(d)); assert rel not in got; got[rel] = p['part']
            assert f.stat().st_ino == (folder/rel).stat().st_ino
    assert got.keys() == sizes.keys() and got['weights/a.safetensors'] == got['data/tno_lwir/s/3.png'] == 'g.part0'
    assert [p['files'] for p in parts] == [2, 2]         # greedy in order: a + TNO's 3.png (800 kB), then 1.jpg + 2.jpg
    with pytest.raises(ValueError, match='larger than'): gpu_run.split_parts(folder, 0.3)


def test_plan_steps_by_hand():
    "Each stage gets its share of the budget over its measured seconds per step (× the safety factor)."
    from realiisr_lite.config import get_config
    cfg = get_config('small')
    sec = dict(prior=0.01, vq=0.05, decoder=0.2, stage2=0.1, stage3=0.04)
    steps = gpu_run.plan_steps(cfg, sec, 100.0, safety=1.25)
    assert steps == dict(prior=int(100 * 0.14 / 0.0125), vq=int(100 * 0.10 / 0.0625), decoder=int(100 * 0.22 / 0.25),
                         stage2=int(100 * 0.40 / 0.125), stage3=int(100 * 0.14 / 0.05))
    assert (cfg.train.prior_steps, cfg.train.vq_steps, cfg.train.decoder_steps, cfg.train.steps, cfg.train.fid_steps) == \
           tuple(steps.values())
    assert cfg.train.gan_start == 88 // 3                 # the discriminator starts a third of the way into stage 1b
    cfg = get_config('tiny-mse')                   # stages 0 and 1 reused: stages 2 and 3 share the whole budget
    steps = gpu_run.plan_steps(cfg, dict(prior=0.0, vq=0.0, stage2=0.1, stage3=0.04), 100.0, safety=1.25)
    assert steps == dict(stage2=int(100 * 0.40 / 0.54 / 0.125), stage3=int(100 * 0.14 / 0.54 / 0.05))
    assert (cfg.train.prior_steps, cfg.train.vq_steps) == (1500, 800)      # untouched


def test_twin_process_trains_on_the_plan(tmp_path, monkeypatch):
    "The twin process reads the planned steps from plan.json (not the configuration's defaults) and checks them."
    import argparse, json
    import realiisr_lite.train as train
    from realiisr_lite.config import get_config
    cfg = get_config('small')
    gpu_run.plan_steps(cfg, dict(prior=0.01, vq=0.05, decoder=0.2, stage2=0.1, stage3=0.04), 60.0)
    (tmp_path/'plan.json').write_text(json.dumps(dict(config=cfg.to_dict())))
    seen = {}
    monkeypatch.setattr(train, 'train_twins', lambda c, *a, **k: seen.setdefault('cfg', c) and {})
    args = argparse.Namespace(run=str(tmp_path), config='small', set=None, data='thermal', device='cpu',
                              steps=train.twin_steps(cfg))
    gpu_run.run_twin(args)
    got = seen['cfg'].train
    assert (got.prior_steps, got.decoder_steps, got.steps, got.fid_steps) == \
           (cfg.train.prior_steps, cfg.train.decoder_steps, cfg.train.steps, cfg.train.fid_steps)
    assert train.twin_steps(seen['cfg']) < train.twin_steps(get_config('small'))      # the defaults would train longer
    args.steps += 1
    with pytest.raises(RuntimeError, match='planned'): gpu_run.run_twin(args)
