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
    "BMPs become PNGs only where load_thermal then reads the same array; the scene folders are kept."
    from realiisr_lite.data import load_thermal, tno_split
    rng = np.random.default_rng(0)
    src = tmp_path/'src'
    for i, mode in enumerate(['L', 'RGB', 'L']):
        d = src/'tno_lwir'/f'scene{i}'; d.mkdir(parents=True)
        a = rng.integers(0, 256, (40, 48), dtype=np.uint8)
        img = Image.fromarray(a, 'L') if mode == 'L' else Image.fromarray(np.stack([a] * 3, -1), 'RGB')
        img.save(d/'LWIR.bmp')
    res = gpu_run.prepare_data(src, tmp_path/'dst')
    assert res['png'] == 3 and res['copied'] == 0
    for i in range(3):
        a = load_thermal(src/'tno_lwir'/f'scene{i}'/'LWIR.bmp')[0]
        b = load_thermal(tmp_path/'dst'/'tno_lwir'/f'scene{i}'/'LWIR.png')[0]
        assert np.array_equal(a.numpy(), b.numpy())
    assert [p.parent.name for p in sum(tno_split(tmp_path/'dst'/'tno_lwir', n_test_scenes=1), [])] == \
           [p.parent.name for p in sum(tno_split(src/'tno_lwir', n_test_scenes=1), [])]


def test_plan_steps_by_hand():
    "Each stage gets its share of the budget over its measured seconds per step (× the safety factor)."
    from realiisr_lite.config import get_config
    cfg = get_config('small')
    sec = dict(prior=0.01, vq=0.05, stage2=0.1, stage3=0.04)
    steps = gpu_run.plan_steps(cfg, sec, 100.0, safety=1.25)
    assert steps == dict(prior=int(100 * 0.13 / 0.0125), vq=int(100 * 0.17 / 0.0625), stage2=int(100 * 0.58 / 0.125), stage3=int(100 * 0.12 / 0.05))
    assert (cfg.train.prior_steps, cfg.train.vq_steps, cfg.train.steps, cfg.train.fid_steps) == tuple(steps.values())
    cfg = get_config('tiny-mse')                   # stages 0 and 1 reused: stages 2 and 3 share the whole budget
    steps = gpu_run.plan_steps(cfg, dict(prior=0.0, vq=0.0, stage2=0.1, stage3=0.04), 100.0, safety=1.25)
    assert steps == dict(stage2=int(100 * 0.58 / 0.70 / 0.125), stage3=int(100 * 0.12 / 0.70 / 0.05))
    assert (cfg.train.prior_steps, cfg.train.vq_steps) == (1500, 800)      # untouched
