"Thermal fidelity in °C (issue 14): the errors against hand-computed values, evaluate's columns, the radiometric test set, the CLI."
import json, os, subprocess, sys
import numpy as np
import pytest
from realiisr_lite.core import bundled_weights_dir
import torch
from PIL import Image
from realiisr_lite.evaluate import celsius_errors, evaluate, TemperaturePairs, uncertainty_curve, spearman
from realiisr_lite.metrics import bicubic_upscale


def _square_maps(shift=2, hot_sr=38.):
    "HR: a 5×5 square at 40 °C on 20 °C (50×50, the top 1 % = 25 pixels); SR: the square `shift` px right at `hot_sr`."
    hr = np.full((50, 50), 20.); hr[20:25, 20:25] = 40.
    sr = np.full((50, 50), 20.); sr[20:25, 20 + shift:25 + shift] = hot_sr
    return sr, hr


def _to01(T, lo=10., hi=50.): return torch.tensor((T - lo) / (hi - lo), dtype=torch.float32)[None, None]


def test_shifted_hot_square_by_hand():
    sr, hr = _square_maps()
    ce = celsius_errors(_to01(sr), _to01(hr), (10, 50))
    # 10 px only in HR's square (|20-40| = 20), 10 px only in SR's (|38-20| = 18), 15 px in both (|38-40| = 2)
    assert ce['mae_c'].item() == pytest.approx((10 * 20 + 10 * 18 + 15 * 2) / 2500, abs=1e-5)        # 0.164 °C
    assert ce['hot_err_c'].item() == pytest.approx((15 * 38 + 10 * 20) / 25 - 40, abs=1e-5)        # -9.2 °C
    assert ce['hot_abs_err_c'].item() == pytest.approx(9.2, abs=1e-5)
    assert ce['hot_drift_px'].item() == pytest.approx(2.0, abs=1e-6) and ce['hot_kept'].item() == 1


def test_diagonal_shift_offset_and_units():
    "A (3, 4) px move is a drift of 5; a uniform +0.5 °C is 0.5 everywhere; a Kelvin range gives the same differences."
    hr = np.full((50, 50), 20.); hr[20:25, 20:25] = 40.
    sr = np.full((50, 50), 20.); sr[23:28, 24:29] = 40.
    d = celsius_errors(_to01(sr), _to01(hr), (10, 50))
    assert d['hot_drift_px'].item() == pytest.approx(5.0, abs=1e-6) and d['hot_kept'].item() == 0     # > 4 px: moved
    ce = celsius_errors(_to01(hr + 0.5), _to01(hr), (10, 50))
    assert ce['mae_c'].item() == pytest.approx(0.5, abs=1e-5) and ce['hot_err_c'].item() == pytest.approx(0.5, abs=1e-5)
    assert ce['hot_drift_px'].item() == 0
    sr, hr = _square_maps()
    k = celsius_errors(_to01(sr + 273.15, 283.15, 323.15), _to01(hr + 273.15, 283.15, 323.15), (283.15, 323.15))
    assert k['mae_c'].item() == pytest.approx(0.164, abs=1e-4) and k['hot_err_c'].item() == pytest.approx(-9.2, abs=1e-4)


def test_border_is_excluded():
    "An error confined to the 4-px border counts with border=0 only."
    hr = np.full((40, 40), 20.); hr[18:22, 18:22] = 30.
    sr = hr.copy(); sr[:4] += 2.                                     # +2 °C on the top 4 rows: 160 of 1,600 pixels
    assert celsius_errors(_to01(sr), _to01(hr), (10, 50))['mae_c'].item() == pytest.approx(160 * 2 / 1600, abs=1e-5)
    assert celsius_errors(_to01(sr), _to01(hr), (10, 50), border=4)['mae_c'].item() == pytest.approx(0., abs=1e-6)


def _naive(sr, hr, lo, hi, border, top=0.01):
    "Reference by loops over pixels: mean |ΔT| and the error over HR's top-k pixels (np.argsort), no torch."
    s = sr[border:-border, border:-border] * (hi - lo) + lo; h = hr[border:-border, border:-border] * (hi - lo) + lo
    tot = 0.
    for v, w in zip(s.ravel(), h.ravel()): tot += abs(v - w)
    k = max(1, round(top * h.size)); idx = np.argsort(-h.ravel(), kind='stable')[:k]
    return tot / h.size, s.ravel()[idx].mean() - h.ravel()[idx].mean()


def test_evaluate_reports_celsius_columns_only_on_radiometric_items():
    g = torch.Generator().manual_seed(0)
    hr = torch.nn.functional.avg_pool2d(torch.rand(1, 1, 72, 72, generator=g), 5, 1, 2, count_include_pad=False)
    hr = (hr - hr.min()) / (hr.max() - hr.min())
    lr = torch.nn.functional.avg_pool2d(hr, 4)
    items = [dict(lr=lr[0], hr=hr[0], kind='defocus', norm_range=(-5., 25.))]
    rep = evaluate({'bicubic': bicubic_upscale}, items, extra_metrics=(), pyiqa_check=False)
    row = rep.rows[0]
    mae, hot = _naive(bicubic_upscale(lr).clamp(0, 1)[0, 0].double().numpy(), hr[0, 0].double().numpy(), -5., 25., 4)
    assert row['mae_c'] == pytest.approx(mae, rel=1e-5) and row['hot_err_c'] == pytest.approx(hot, rel=1e-5, abs=1e-6)
    assert row['hot_abs_err_c'] == pytest.approx(abs(hot), rel=1e-5, abs=1e-6) and row['hot_drift_px'] >= 0
    assert 'defocus mae_c' in rep.table() and 'defocus hot_drift_px' in rep.table()
    plain = evaluate({'bicubic': bicubic_upscale}, [dict(items[0], norm_range=None)], extra_metrics=(), pyiqa_check=False)
    assert 'mae_c' not in plain.rows[0] and 'mae_c' not in plain.table()


def test_temperature_pairs_keep_the_maps_units(shared_data, tmp_path):
    maps = sorted((shared_data/'wikimedia_cc0').glob('*_temp_c.tif'))
    ds = TemperaturePairs(seed=1)
    assert len(ds) == 2 * len(maps) == 18
    for i in (0, 1, 5):
        it = ds[i]
        T = np.asarray(Image.open(maps[i // 2]), dtype=np.float64)
        lo, hi = it['norm_range']
        assert (lo, hi) == pytest.approx((T.min(), T.max()))
        H, W = it['hr'].shape[-2:]
        assert (H, W) == (T.shape[0] // 4 * 4, T.shape[1] // 4 * 4) and it['lr'].shape[-2:] == (H // 4, W // 4)
        assert np.abs(it['hr'][0].double().numpy() * (hi - lo) + lo - T[:H, :W]).max() < 1e-4 * (hi - lo)
        assert it['kind'] == ('defocus', 'motion')[i % 2]
    Image.fromarray(np.zeros((40, 40), np.uint8)).save(tmp_path/'grey.png')
    with pytest.raises(ValueError, match='not float temperature maps'): TemperaturePairs(tmp_path)


def test_cli_eval_celsius(shared_data, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1', MPLBACKEND='Agg')
    r = subprocess.run([sys.executable, '-m', 'realiisr_lite.cli', 'eval', '--data', 'celsius', '--no-model', '--max-items', '2',
                        '--peer', 'none', '--out', str(tmp_path/'c')], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path/'c'/'report.json').read_text())
    rows = {(x['method'], x['index']): x for x in rep['rows']}
    # --no-model: bicubic and the bundled model's twins (the GAN twin where the bundle has one)
    gan = (bundled_weights_dir('tiny')/'gan_twin.safetensors').is_file()
    assert {m for m, _ in rows} == {'bicubic', 'regression twin'} | ({'GAN twin'} if gan else set())
    assert all(x['mae_c'] > 0 and x['hot_drift_px'] >= 0 and x['hot_abs_err_c'] == pytest.approx(abs(x['hot_err_c'])) for x in rows.values())
    assert 'mae_c' in (tmp_path/'c'/'report.md').read_text() and '°C columns' in rep['notes']
    r = subprocess.run([sys.executable, '-m', 'realiisr_lite.cli', 'eval', '--no-model', '--model', 'x=y'], capture_output=True, text=True, env=env)
    assert r.returncode == 2 and 'exclude each other' in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_uncertainty_curve_and_spearman_by_hand():
    "Deciles of equal size; ρ = 1 for an increasing error, -1 for a decreasing one; ties share their mean rank."
    u = torch.arange(100.)
    c = uncertainty_curve(u, 2 * u, bins=10)
    assert np.allclose(c['unc'], np.arange(10) * 10 + 4.5) and np.allclose(c['err'], 2 * (np.arange(10) * 10 + 4.5))
    assert c['spearman'] == pytest.approx(1.0) and uncertainty_curve(u, -u)['spearman'] == pytest.approx(-1.0)
    # x = [1, 2, 2, 3] has ranks [0, 1.5, 1.5, 3]; y = [1, 3, 2, 4] has [0, 2, 1, 3]: Pearson of the ranks = 0.9487
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(np.corrcoef([0, 1.5, 1.5, 3], [0, 2, 1, 3])[0, 1])
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(0.9486833, abs=1e-6)
