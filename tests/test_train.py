"Training: exact resume, two gloo processes stay identical, NaN stops cleanly, the regression baseline learns."
import os, subprocess, sys
import numpy as np
from pathlib import Path
import pytest
import torch
from realiisr_lite.core import seed_everything, load_tensors
from realiisr_lite.inference import RealIISR
from realiisr_lite.train import (fit, micro_config, micro_data, batch_indices, TrainingDivergedError, ResidualSRNet,
                                 save_regression, load_regression)


def _fresh():
    seed_everything(0)
    return RealIISR(micro_config())


def test_resume_is_exact(tmp_path):
    tr, _ = micro_data()
    a = _fresh(); fit(a, tr, None, tmp_path/'a', steps=6, progress=False, ckpt_every=3)
    b = _fresh(); fit(b, tr, None, tmp_path/'b', steps=6, progress=False, ckpt_every=3, stop_after=3)
    c = _fresh(); fit(c, tr, None, tmp_path/'b', steps=6, progress=False, ckpt_every=3)
    for p, q in zip(a.trainable_parameters(), c.trainable_parameters()): assert torch.equal(p, q)
    # and the optimiser state matches too
    ta, _ = load_tensors(tmp_path/'a'/'state.safetensors'); tc, _ = load_tensors(tmp_path/'b'/'state.safetensors')
    for k in ta:
        if k.startswith('optim.'): assert torch.equal(ta[k], tc[k]), k


def test_two_gloo_processes_stay_identical(tmp_path):
    torchrun = Path(sys.executable).parent/'torchrun'
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    r = subprocess.run([str(torchrun), '--nproc_per_node', '2', '--master_port', '29513', str(Path(__file__).parent/'ddp_worker.py'),
                        str(tmp_path)], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    s0, s1 = torch.load(tmp_path/'rank0.pt'), torch.load(tmp_path/'rank1.pt')
    for k in s0: assert torch.equal(s0[k], s1[k]), k
    # and training actually changed the weights from their initialisation
    init = _fresh().state_dict()
    assert any(not torch.equal(init[k], s0[k]) for k in s0 if not k.startswith('vqvae.'))


def test_ranks_get_disjoint_batches():
    for step in range(5):
        a, b = batch_indices(500, 8, 3, step, 0, 2), batch_indices(500, 8, 3, step, 1, 2)
        assert len(a) == len(b) == 8 and not set(a) & set(b)


def test_nan_stops_and_keeps_last_good_checkpoint(tmp_path):
    tr, _ = micro_data()
    m = _fresh(); orig = m.loss; calls = [0]
    def bad(lr, hr):
        calls[0] += 1
        loss, parts = orig(lr, hr)
        return (loss * float('nan') if calls[0] == 6 else loss), parts
    m.loss = bad
    with pytest.raises(TrainingDivergedError, match=r'step 6.*last good checkpoint \(step 4\)'):
        fit(m, tr, None, tmp_path/'r', steps=10, progress=False, ckpt_every=2)
    _, meta = load_tensors(tmp_path/'r'/'state.safetensors')
    assert meta['step'] == 4
    assert not (tmp_path/'r'/'model').exists()


def test_regression_checkpoint_roundtrip(tmp_path):
    net = ResidualSRNet(channels=8, blocks=1)
    with torch.no_grad():
        for p in net.parameters(): p.normal_(0, 0.05)
    save_regression(net, tmp_path/'r.safetensors')
    back = load_regression(tmp_path/'r.safetensors')
    x = torch.rand(1, 1, 10, 12)
    assert torch.equal(back.super_resolve(x), net.eval().super_resolve(x))


def test_dataloader_workers_keep_the_order(tmp_path):
    "Worker processes prepare the same batches in the same order: the weights match the in-process run."
    tr, _ = micro_data()
    a = _fresh(); fit(a, tr, None, None, steps=4, progress=False, num_workers=0)
    b = _fresh(); fit(b, tr, None, None, steps=4, progress=False, num_workers=2)
    for p, q in zip(a.trainable_parameters(), b.trainable_parameters()): assert torch.equal(p, q)


def test_data_options_reach_the_training_set_only(tmp_path, monkeypatch):
    "train.edge_crops / train.black_clip: the training pairs change, the validation pairs do not; a pool is keyed on them."
    from realiisr_lite.train import make_datasets
    from realiisr_lite.config import get_config
    monkeypatch.setenv('REALIISR_CACHE', str(tmp_path))
    tr0, va0 = make_datasets('synthetic', 32, 4, seed=3)
    tr1, va1 = make_datasets('synthetic', 32, 4, seed=3, edges=True, black_clip=(8., 8.))
    for i in range(4): assert torch.equal(va0[i]['hr'], va1[i]['hr']) and torch.equal(va0[i]['lr'], va1[i]['lr'])
    frame0, frame1 = tr0.synth(5)[0], tr1.synth(5)[0]                # the same scene, rendered with 0.5 % and 8 % black
    share = lambda f: float((f == 0).float().mean())
    assert share(frame0) < 0.012 and abs(share(frame1) - 0.08) < 0.006, (share(frame0), share(frame1))
    assert tr1.edges and not tr0.edges
    pool, _ = make_datasets('synthetic', 32, 4, seed=3, pool=4, edges=True, black_clip=(0., 10.))
    assert pool.path.name == 'synthetic-hr32-x4-s3-agc-edges-black0to10-n4.safetensors'
    assert pool.path.parent == tmp_path/'pools'
    cfg = get_config('tiny', {'train.edge_crops': 'true', 'train.black_clip': '0,10'})
    assert cfg.train.edge_crops is True and cfg.train.black_clip == (0, 10)
    assert get_config('tiny').train.edge_crops is False and get_config('tiny').train.black_clip is None   # the bundled run's data


def _random_frames(folder, sizes, seed: int):
    "Write 8-bit random-noise PNG frames {name: (h, w)} into folder (made here); return it. The first (sorted) becomes validation."
    from PIL import Image
    folder.mkdir()
    for name, (h, w) in sizes:
        Image.fromarray((np.random.default_rng(seed).random((h, w)) * 255).astype(np.uint8)).save(folder/name)
    return folder

def test_area_crops_reach_the_training_set_only(tmp_path, monkeypatch):
    "train.area_crops: training crops pick frames in proportion to their area; validation and the default do not; pools are keyed on it."
    from realiisr_lite.train import make_datasets
    from realiisr_lite.config import get_config
    monkeypatch.setenv('REALIISR_CACHE', str(tmp_path/'cache'))
    folder = _random_frames(tmp_path/'frames', (('a.png', (32, 32)), ('b.png', (32, 96)), ('c.png', (64, 32))), 1)   # a: validation
    tr0, va0 = make_datasets(str(folder), 16, 4, seed=2)
    tr1, va1 = make_datasets(str(folder), 16, 4, seed=2, area=True)
    assert tr0.frame_p is None and va0.frame_p is None and va1.frame_p is None
    np.testing.assert_allclose(tr1.frame_p, [96 * 32 / (96 * 32 + 64 * 32), 64 * 32 / (96 * 32 + 64 * 32)])   # b, c by area
    for i in range(3): assert torch.equal(va0[i]['lr'], va1[i]['lr'])
    picks = [tr1.item(i)[2]['path'].endswith('b.png') for i in range(300)]
    assert abs(np.mean(picks) - 0.6) < 0.07, np.mean(picks)
    pool, _ = make_datasets(str(folder), 16, 4, seed=2, pool=4, area=True)
    assert pool.path.name.endswith('-agc-area-n4.safetensors'), pool.path.name
    assert get_config('tiny', {'train.area_crops': 'true'}).train.area_crops is True and get_config('tiny').train.area_crops is False


def test_frame_scales_reach_the_training_set_only(tmp_path, monkeypatch):
    "train.frame_scales: training frames get downscaled copies (the block mean at 1/2); validation and the default do not; pools are keyed on it."
    import torch.nn.functional as F
    from realiisr_lite.train import make_datasets
    from realiisr_lite.config import get_config
    monkeypatch.setenv('REALIISR_CACHE', str(tmp_path/'cache'))
    folder = _random_frames(tmp_path/'frames', (('a.png', (32, 32)), ('b.png', (64, 96)), ('c.png', (28, 32))), 2)   # a: validation
    tr0, va0 = make_datasets(str(folder), 16, 4, seed=2)
    tr1, va1 = make_datasets(str(folder), 16, 4, seed=2, frame_scales=(0.5,))
    shapes = [tuple(f.shape[-2:]) for f in tr1.frames]
    assert shapes == [(64, 96), (28, 32), (32, 48)], shapes            # c at 1/2 (14 × 16) is under the 16-px crop: left out
    assert tr1.frame_scale == [1.0, 1.0, 0.5] and tr0.frame_scale == [1.0, 1.0] and len(va1.frames) == len(va0.frames) == 1
    assert torch.allclose(tr1.frames[2], F.avg_pool2d(tr1.frames[0][None], 2)[0], atol=1e-6)
    for i in range(3): assert torch.equal(va0[i]['lr'], va1[i]['lr']) and torch.equal(va0[i]['hr'], va1[i]['hr'])
    from realiisr_lite.data import DegradedIRDataset
    many = DegradedIRDataset([folder/'b.png', folder/'c.png'], 16, 4, seed=2, length=900, frame_scales=(0.5,))
    picks = [many.item(i)[2]['frame_scale'] for i in range(900)]               # 1 of 3 frames: a third of the crops (σ ≈ 0.016)
    assert abs(np.mean([p == 0.5 for p in picks]) - 1 / 3) < 0.06, np.mean([p == 0.5 for p in picks])
    pool, _ = make_datasets(str(folder), 16, 4, seed=2, pool=4, frame_scales=(0.5, 0.7))
    assert pool.path.name.endswith('-agc-scales0.5x0.7-n4.safetensors'), pool.path.name
    assert get_config('tiny', {'train.frame_scales': '0.5,0.7'}).train.frame_scales == (0.5, 0.7)
    assert get_config('tiny', {'train.frame_scales': '0.5'}).train.frame_scales == (0.5,) and get_config('tiny').train.frame_scales == ()
