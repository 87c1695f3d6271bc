"Loading, bad input, degradations and datasets (notebook 01), checked against independent computations."
import json, math, time
from pathlib import Path
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st, HealthCheck
from PIL import Image
from realiisr_lite.core import MIN_LR_SIDE, image_size_problem
from realiisr_lite.data import (ThermalImageError, load_thermal, save_thermal, denormalize, degrade, disc_psf, motion_psf,
                                apply_psf, area_downsample, SyntheticIRDataset, DegradedIRDataset, PairedIRDataset,
                                ThermalSceneSynth, tno_split, tno_datasets, scene_of, download_flir_iisr,
                                DatasetUnavailableError, planck_counts)


# ---------------------------------------------------------------- formats
@pytest.mark.parametrize('suffix', ['.png', '.bmp', '.tif', '.jpg'])
def test_load_8bit_formats(tmp_path, suffix):
    a = (np.arange(64*48) % 256).astype(np.uint8).reshape(48, 64)
    Image.fromarray(a).save(tmp_path/f'x{suffix}', quality=100) if suffix == '.jpg' else Image.fromarray(a).save(tmp_path/f'x{suffix}')
    x, m = load_thermal(tmp_path/f'x{suffix}')
    assert x.shape == (1, 48, 64) and x.dtype == torch.float32 and m['bit_depth'] == 8
    if suffix != '.jpg': assert torch.equal(x[0], torch.from_numpy(a).float() / 255)  # exact x/255 for lossless files
    else: assert (x[0] - torch.from_numpy(a).float() / 255).abs().mean() < 0.05


def test_load_16bit_png_percentile_and_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    a = (14000 + 2000 * rng.random((40, 50))).astype(np.uint16)
    Image.fromarray(a).save(tmp_path/'r.png')
    x, m = load_thermal(tmp_path/'r.png')
    assert m['bit_depth'] == 16 and m['kind'] == 'raw16' and m['normalize'] == 'percentile'
    lo, hi = np.percentile(a.astype(float), (1, 99))
    np.testing.assert_allclose(x[0].numpy(), np.clip((a - lo) / (hi - lo), 0, 1), atol=1e-6)
    x2, m2 = load_thermal(tmp_path/'r.png', normalize='minmax')
    save_thermal(x2, tmp_path/'back.png', bit_depth=16, meta=m2)
    back = np.asarray(Image.open(tmp_path/'back.png')).astype(np.int64)
    assert np.abs(back - a).max() <= 1  # counts survive to within one count


def test_load_float_tiff_celsius(tmp_path):
    t = np.linspace(-20, 120, 30*20, dtype=np.float32).reshape(20, 30)
    Image.fromarray(t).save(tmp_path/'t.tif')
    x, m = load_thermal(tmp_path/'t.tif')
    assert m['kind'] == 'float' and m['normalize'] == 'minmax'
    np.testing.assert_allclose(denormalize(x, m), t, atol=1e-3)
    x2, _ = load_thermal(tmp_path/'t.tif', normalize=(-20, 120))
    np.testing.assert_allclose(x2[0].numpy(), (t + 20) / 140, atol=1e-6)


def test_grey_rgb_and_grey_palette_accepted(tmp_path):
    a = (np.arange(32*32) % 256).astype(np.uint8).reshape(32, 32)
    Image.fromarray(np.stack([a]*3, -1)).save(tmp_path/'g.bmp')
    p = Image.fromarray(a).convert('P'); p.save(tmp_path/'p.png')
    for f in ('g.bmp', 'p.png'):
        x, m = load_thermal(tmp_path/f)
        assert torch.allclose(x[0], torch.from_numpy(a).float() / 255, atol=1/255)


@pytest.mark.parametrize('name,writer,expect', [
    ('missing.png', None, 'not found'),
    ('empty.png', lambda p: p.write_bytes(b''), 'empty'),
    ('text.png', lambda p: p.write_text('hello'), 'not a readable image'),
    ('nan.tif', lambda p: Image.fromarray(np.array([[1, np.nan], [np.inf, 0]] * 4, np.float32).repeat(4, 1)).save(p), 'NaN'),
    ('tiny.png', lambda p: Image.fromarray(np.zeros((2, 2), np.uint8)).save(p), 'too small'),
    ('bw.png', lambda p: Image.new('1', (16, 16)).save(p), '1-bit'),
    ('colour.png', lambda p: Image.fromarray(np.dstack([np.full((16, 16), 200, np.uint8), np.zeros((16, 16), np.uint8),
                                                        np.arange(256, dtype=np.uint8).reshape(16, 16)])).save(p), 'pseudo-colour'),
])
def test_bad_files_raise_clear_error(tmp_path, name, writer, expect):
    p = tmp_path/name
    if writer: writer(p)
    with pytest.raises(ThermalImageError) as e: load_thermal(p)
    assert expect in str(e.value) and name in str(e.value)


def test_truncated_and_huge(tmp_path):
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)).save(tmp_path/'ok.png')
    (tmp_path/'cut.png').write_bytes((tmp_path/'ok.png').read_bytes()[:200])
    with pytest.raises(ThermalImageError, match='corrupt|truncated|not a readable'): load_thermal(tmp_path/'cut.png')
    with pytest.raises(ThermalImageError, match='too large'): load_thermal(tmp_path/'ok.png', max_pixels=1000)
    with pytest.raises(ThermalImageError, match='folder'): load_thermal(tmp_path)


def test_size_refused_from_the_header(huge_png, no_decoding, tmp_path):
    "A 6000×6000 PNG over the caller's limit is refused in under 0.5 s without a decoded pixel; one rule, one wording."
    t0 = time.perf_counter()
    with pytest.raises(ThermalImageError, match=r'image 6000x6000 is too large \(36,000,000 pixels, the limit is 4,000,000\)'):
        load_thermal(huge_png, max_pixels=4_000_000)
    assert time.perf_counter() - t0 < 0.5
    with pytest.raises(AssertionError, match='decoded'): load_thermal(huge_png)      # within the limit its pixels are read
    Image.fromarray(np.zeros((7, 40), np.uint8)).save(tmp_path/'thin.png')
    with pytest.raises(ThermalImageError, match=r'image 40x7 is too small \(need at least 8x8 pixels\)'): load_thermal(tmp_path/'thin.png')
    assert image_size_problem(40, 7) == 'image 40x7 is too small (need at least 8x8 pixels)' and MIN_LR_SIDE == 8


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=1, max_size=300))
def test_random_bytes_never_crash_otherwise(tmp_path, data):
    p = tmp_path/'junk.png'; p.write_bytes(data)
    try: load_thermal(p)
    except ThermalImageError: pass


def test_save_is_atomic_and_refuses_nan(tmp_path):
    with pytest.raises(ValueError, match='NaN'): save_thermal(torch.full((1, 8, 8), float('nan')), tmp_path/'x.png')
    assert not list(tmp_path.iterdir())  # nothing, not even a temporary file, is left behind
    save_thermal(torch.rand(1, 8, 8), tmp_path/'x.png'); assert [p.name for p in tmp_path.iterdir()] == ['x.png']
    with pytest.raises(NotADirectoryError, match=f"{tmp_path/'x.png'} is a file, not a folder"):   # not "File exists"
        save_thermal(torch.rand(1, 8, 8), tmp_path/'x.png'/'sub'/'y.png')
    assert [p.name for p in tmp_path.iterdir()] == ['x.png']


# ---------------------------------------------------------------- degradations
def test_disc_psf_against_analytic_area():
    for r in (3., 5.5, 9.):
        k = disc_psf(r, supersample=16)
        assert abs(k.sum().item() - 1) < 1e-6
        # fraction of the kernel's support covered equals the disc area over the pixel count it touches
        covered = (k / k.max()).sum().item()
        assert abs(covered - math.pi * r * r) / (math.pi * r * r) < 0.02


def test_motion_psf_direction():
    k = motion_psf(9, 90)   # vertical motion: all mass in the central column
    assert abs(k.sum(0).max().item() - 1) < 1e-5
    k = motion_psf(9, 0)
    assert abs(k.sum(1).max().item() - 1) < 1e-5


def test_apply_psf_matches_naive_convolution():
    rng = np.random.default_rng(1)
    x = torch.from_numpy(rng.random((1, 1, 20, 24))).float()
    k = motion_psf(5, 30)
    y = apply_psf(x, k)[0, 0].numpy()
    xp = np.pad(x[0, 0].numpy(), k.shape[0] // 2, mode='reflect')
    kk = k.numpy(); n = kk.shape[0]
    naive = np.array([[np.sum(xp[i:i+n, j:j+n] * kk[::-1, ::-1]) for j in range(24)] for i in range(20)])
    np.testing.assert_allclose(y, naive, atol=1e-5)


@pytest.mark.parametrize('kind', ['defocus', 'motion'])
def test_degrade_deterministic_and_recorded(kind):
    hr = ThermalSceneSynth(128)(3)[0]
    lr1, m1 = degrade(hr, kind, seed=11)
    lr2, m2 = degrade(hr, kind, seed=11)
    lr3, _ = degrade(hr, kind, seed=12)
    assert torch.equal(lr1, lr2) and m1 == m2 and not torch.equal(lr1, lr3)
    assert lr1.shape == (1, 1, 32, 32) and 0 <= lr1.min() and lr1.max() <= 1
    assert torch.allclose(lr1 * 255, (lr1 * 255).round(), atol=1e-4)         # 8-bit quantised
    json.dumps(m1)                                                           # metadata is plain JSON
    assert torch.equal(degrade(hr, meta=m1)[0], lr1)                         # replayable


def test_degrade_without_blur_noise_drift_is_area_downsampling():
    hr = torch.rand(1, 1, 64, 64)
    lr, _ = degrade(hr, 'defocus', seed=0, radius=0.0, varying=False, shift=(0., 0.), read_sigma=0., row_sigma=0.,
                    col_sigma=0., gain=1.0, offset=0.0, quantize_bits=0, radiometry='gain')
    assert torch.allclose(lr, F.avg_pool2d(hr, 4), atol=1e-6)
    # the AGC with no blur: the same percentiles in and out up to the ×4 averaging, so a residual gain/offset of
    # (1, 0) leaves LR = k·avg + c with k close to 1
    lr_agc, m = degrade(hr, 'defocus', seed=0, radius=0.0, varying=False, shift=(0., 0.), read_sigma=0., row_sigma=0.,
                        col_sigma=0., agc_gain=1.0, agc_offset=0.0, quantize_bits=0)
    (li, hi), (lo, ho) = m['agc_in'], m['agc_out']
    k = (ho - lo) / (hi - li)
    assert torch.allclose(lr_agc, ((F.avg_pool2d(hr, 4) - li) * k + lo).clamp(0, 1), atol=1e-5)


def _old_degrade_by_hand(hr, p):
    "The pre-AGC radiometry written out again: blurred LR, symmetric gain about the mean plus offset, clip, 8 bits."
    from realiisr_lite.data import blurred_lr
    raw = blurred_lr(hr, p)
    return torch.round(((raw - raw.mean()) * p['gain'] + raw.mean() + p['offset']).clamp(0, 1) * 255) / 255


@pytest.mark.parametrize('kind', ['defocus', 'motion'])
def test_radiometry_gain_option_replays_old_lr(kind):
    hr = torch.rand(1, 1, 96, 80) * 0.6 + 0.2
    for seed in range(4):
        lr, m = degrade(hr, kind, seed=seed, radiometry='gain')
        assert 0.95 <= m['gain'] <= 1.05 and 'agc_gain' not in m
        assert torch.equal(lr, _old_degrade_by_hand(hr, m))
        lr_new, m_new = degrade(hr, kind, seed=seed)          # the same draws up to the radiometry
        assert all(m_new[k] == m[k] for k in ('shift', 'noise_seed', 'read_sigma')) and m_new['radiometry'] == 'agc'


def test_agc_effective_gain_below_one_when_blur_compresses_range():
    "Two-level frame whose hot part is thinner than the blur: the blur lowers its peak, the AGC stretches it back."
    from realiisr_lite.data import radiometric_gain
    hr = torch.full((1, 1, 128, 128), 0.25)
    hr[..., :, 60:64] = 0.85                                                 # a 4-px hot stripe (3 % of the pixels)
    for seed in range(3):
        lr, m = degrade(hr, 'defocus', seed=seed, radius=5.0, varying=False, agc_percentiles=(1.0, 99.0), agc_gain=1.0,
                        agc_offset=0.0)
        (li, hi), (lo, ho) = m['agc_in'], m['agc_out']
        assert (lo, ho) == pytest.approx((0.25, 0.85), abs=1e-6)           # the HR's two levels
        assert hi - li < 0.6 and m['effective_gain'] == pytest.approx((hi - li) / 0.6, rel=1e-6) and m['effective_gain'] < 1
        assert radiometric_gain(lr, hr)[0].item() < 1
        lr_old, _ = degrade(hr, 'defocus', seed=seed, radius=5.0, varying=False, radiometry='gain', gain=1.0, offset=0.0)
        assert radiometric_gain(lr_old, hr)[0].item() > 1                   # blur alone: g >= 1


def test_agc_same_seed_same_lr_and_frame_level_ranges_in_crops():
    from realiisr_lite.data import SyntheticIRDataset
    hr = torch.rand(1, 1, 64, 64)
    assert torch.equal(degrade(hr, 'motion', seed=3)[0], degrade(hr, 'motion', seed=3)[0])
    ds = SyntheticIRDataset(8, 32, seed=0, frame_size=96, n_scenes=2)
    _, _, m0 = ds.item(0)
    _, _, m0b = ds.item(0)
    assert m0 == m0b and m0['radiometry'] == 'agc'
    from realiisr_lite.data import degraded_crop
    frame = torch.linspace(0, 1, 160)[None, :].expand(120, 160)[None].clone()     # a ramp: crops see only part of it
    lr, crop_hr, m = degraded_crop(frame, 32, 4, 'defocus', np.random.default_rng(1))
    assert m['agc_out'] == pytest.approx(tuple(np.percentile(frame.numpy(), m['agc_percentiles'])), abs=1e-6)
    assert crop_hr.max() - crop_hr.min() < 0.5                               # the crop's own range is much smaller
    ds_old = SyntheticIRDataset(8, 32, seed=0, frame_size=96, n_scenes=2, radiometry='gain')
    assert ds_old.item(0)[2]['radiometry'] == 'gain'


def test_degrade_bad_input():
    with pytest.raises(ValueError, match='NaN'): degrade(torch.full((1, 32, 32), float('nan')))
    with pytest.raises(ValueError, match='too small'): degrade(torch.rand(1, 5, 5))
    with pytest.raises(ValueError, match='kind'): degrade(torch.rand(1, 32, 32), kind='rain')
    with pytest.raises(ValueError, match='one image'): degrade(torch.rand(2, 1, 32, 32))


def test_planck_monotonic():
    t = np.linspace(-40, 150, 500)
    assert (np.diff(planck_counts(t)) > 0).all()


# ---------------------------------------------------------------- datasets
def test_synthetic_dataset_pure_function_of_index():
    a, b = SyntheticIRDataset(8, 32, seed=3), SyntheticIRDataset(8, 32, seed=3)
    for i in (0, 5):
        assert torch.equal(a[i]['lr'], b[i]['lr']) and torch.equal(a[i]['hr'], b[i]['hr'])
    assert a[0]['lr'].shape == (1, 8, 8) and a[0]['hr'].shape == (1, 32, 32)
    assert not torch.equal(a[0]['hr'], SyntheticIRDataset(8, 32, seed=4)[0]['hr'])


def _write_pairs(root, n, lr_at_hr=False, size=64):
    synth = ThermalSceneSynth(size)
    for i in range(n):
        hr = synth(i)[0]
        lr, _ = degrade(hr, 'defocus', seed=i)
        if lr_at_hr: lr = F.interpolate(lr, scale_factor=4, mode='bicubic', align_corners=False).clamp(0, 1)
        save_thermal(hr, Path(root)/'HR'/f'img_{i:03d}.png'); save_thermal(lr, Path(root)/'LR'/f'img_{i:03d}.png')


@pytest.mark.parametrize('lr_at_hr', [False, True])
def test_paired_dataset_layouts_and_split(tmp_path, lr_at_hr):
    _write_pairs(tmp_path/'sub', 22, lr_at_hr)
    (tmp_path/'sub'/'LR'/'orphan.png').write_bytes((tmp_path/'sub'/'LR'/'img_000.png').read_bytes())
    tr, te = PairedIRDataset(tmp_path, 'train', hr_size=32), PairedIRDataset(tmp_path, 'test', hr_size=32)
    assert len(tr) + len(te) == 22 and len(te) == 4 and not set(tr.stems) & set(te.stems)
    assert tr.unmatched == ['orphan']
    b = tr[0]
    assert b['lr'].shape == (1, 8, 8) and b['hr'].shape == (1, 32, 32)
    assert tr.lr_layout == ('hr_size' if lr_at_hr else 'downscaled')
    full = PairedIRDataset(tmp_path, 'all', hr_size=None)
    lr, hr = full.pair(0)
    assert lr.shape[-1] * 4 == hr.shape[-1]


def test_paired_dataset_full_size_split_is_papers(tmp_path):
    (tmp_path/'HR').mkdir(); (tmp_path/'LR').mkdir()
    for i in range(1457):
        (tmp_path/'HR'/f'{i:04d}.png').touch(); (tmp_path/'LR'/f'{i:04d}.png').touch()
    assert len(PairedIRDataset(tmp_path, 'train')) == 1192 and len(PairedIRDataset(tmp_path, 'test')) == 265


def test_paired_dataset_wrong_lr_size(tmp_path):
    _write_pairs(tmp_path, 2)
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(tmp_path/'LR'/'img_000.png')
    ds = PairedIRDataset(tmp_path, 'all', hr_size=None)
    with pytest.raises(ThermalImageError, match='LR size'): ds.pair(0)


def test_download_offline_fails_fast(tmp_path, monkeypatch):
    import time
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    t0 = time.time()
    with pytest.raises(DatasetUnavailableError, match='HR/ and LR/'): download_flir_iisr(tmp_path/'d')
    assert time.time() - t0 < 5


def test_download_uses_huggingface_hub(tmp_path, monkeypatch):
    "The real download path: huggingface_hub.snapshot_download is called for the dataset repo, then the layout is found."
    import huggingface_hub, socket
    calls = []
    def fake_snapshot(repo_id, repo_type, local_dir, revision=None):
        calls.append((repo_id, repo_type)); _write_pairs(Path(local_dir)/'FLIR-IISR', 3); return local_dir
    monkeypatch.delenv('HF_HUB_OFFLINE', raising=False)
    monkeypatch.setattr(huggingface_hub, 'snapshot_download', fake_snapshot)
    monkeypatch.setattr(socket, 'create_connection', lambda *a, **k: type('C', (), {'close': lambda self: None})())
    root = download_flir_iisr(tmp_path/'d')
    assert calls == [('yuanzsz/FLIR-IISR', 'dataset')] and (root/'HR').is_dir()
    assert len(PairedIRDataset(tmp_path/'d', 'all', hr_size=None)) == 3


# ---------------------------------------------------------------- real data (required in CI)
def test_tno_split_by_scene(tno):
    train, test = tno_split()
    assert len(train) + len(test) == 168 and len(test) >= 10
    assert not {scene_of(p, tno) for p in train} & {scene_of(p, tno) for p in test}
    assert all(scene_of(p, tno) not in ('Nato_camp_sequence', 'Tree_sequence', 'thermal') for p in test)


def test_load_every_tno_image(tno):
    from realiisr_lite.data import list_images
    for p in list_images(tno):
        x, m = load_thermal(p)
        assert x.shape[0] == 1 and m['bit_depth'] == 8 and 0 <= x.min() and x.max() <= 1


def test_radiometric_raw_vs_temperature_monotonic(shared_data):
    from scipy.stats import spearmanr
    for raw in sorted((shared_data/'wikimedia_cc0').glob('*_raw16.png')):
        x, mr = load_thermal(raw, normalize='minmax'); t, mt = load_thermal(str(raw).replace('_raw16.png', '_temp_c.tif'))
        assert mr['bit_depth'] == 16 and mt['kind'] == 'float'
        assert spearmanr(denormalize(x, mr).ravel(), denormalize(t, mt).ravel())[0] > 0.99


def test_tno_degraded_bicubic_in_calibrated_range(tno):
    "Calibrated default severity: bicubic ×4 on held-out TNO frames lands near the ~30 dB the calibration targets."
    from realiisr_lite.metrics import bicubic_upscale, psnr
    _, test = tno_datasets(hr_size=None)
    vals = [psnr(bicubic_upscale(test[i]['lr'][None]), test[i]['hr'][None]).item() for i in range(len(test))]
    assert 27 < np.mean(vals) < 33
