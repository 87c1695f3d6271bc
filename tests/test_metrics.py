"PSNR/SSIM against pyiqa and scikit-image on real thermal images; no-reference learned metrics never crash."
import math
import numpy as np
import pytest
import torch
from realiisr_lite.metrics import psnr, ssim, bicubic_upscale, to_uint8_levels, evaluate_pairs, iqa_metric, MetricTable
from realiisr_lite.data import tno_datasets, SyntheticIRDataset


@pytest.fixture(scope='module')
def real_pairs(tno):
    _, test = tno_datasets(hr_size=None)
    return [(bicubic_upscale(test[i]['lr'][None]), test[i]['hr'][None]) for i in range(0, len(test), 3)]


def test_psnr_ssim_match_pyiqa_and_skimage(real_pairs):
    import pyiqa
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity
    ip, iss = pyiqa.create_metric('psnr', crop_border=4, device='cpu'), pyiqa.create_metric('ssim', crop_border=4, device='cpu')
    for sr, hr in real_pairs:
        q = lambda t: (to_uint8_levels(t) / 255).float()
        a8, b8 = [to_uint8_levels(t)[0, 0, 4:-4, 4:-4].numpy().astype(np.uint8) for t in (sr, hr)]
        p = psnr(sr, hr).item()
        assert abs(p - ip(q(sr), q(hr)).item()) < 1e-3
        assert abs(p - peak_signal_noise_ratio(b8, a8, data_range=255)) < 1e-6
        s = ssim(sr, hr).item()
        assert abs(s - structural_similarity(b8, a8, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255)) < 1e-8
        assert abs(ssim(sr, hr, clamp_cs=True).item() - iss(q(sr), q(hr)).item()) < 1e-5


def test_psnr_by_hand():
    hr = torch.full((1, 1, 20, 20), 100 / 255)
    sr = hr.clone(); sr[..., 4:-4, 4:-4] += 2 / 255     # error of 2 levels everywhere inside the crop
    assert abs(psnr(sr, hr).item() - 10 * math.log10(255**2 / 4)) < 1e-9


def test_ssim_naive_reference():
    "SSIM against a direct double loop over window positions."
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (20, 22)).astype(float), rng.integers(0, 256, (20, 22)).astype(float)
    ax = np.arange(11) - 5; g = np.exp(-ax**2 / 4.5); w = np.outer(g, g); w /= w.sum()
    C1, C2 = (0.01*255)**2, (0.03*255)**2
    vals = []
    for i in range(20 - 10):
        for j in range(22 - 10):
            a, b = x[i:i+11, j:j+11], y[i:i+11, j:j+11]
            ma, mb = (w*a).sum(), (w*b).sum()
            va, vb, cov = (w*a*a).sum() - ma**2, (w*b*b).sum() - mb**2, (w*a*b).sum() - ma*mb
            vals.append((2*ma*mb + C1)*(2*cov + C2) / ((ma**2 + mb**2 + C1)*(va + vb + C2)))
    t = lambda a: torch.from_numpy(a / 255)[None, None]
    assert abs(ssim(t(x), t(y), crop_border=0).item() - np.mean(vals)) < 1e-10


def test_no_reference_metrics_not_available_without_weights(tmp_path, monkeypatch):
    "MUSIQ and MANIQA (pyiqa) without their weights: a 'not available' text in the table, never a crash (LPIPS/DISTS: test_perceptual)."
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path/'hub'))
    monkeypatch.setenv('HF_HUB_CACHE', str(tmp_path/'hf'))
    for m in ('musiq', 'maniqa'):
        v = iqa_metric(m)
        assert isinstance(v, str) and v.startswith('not available: weights not found in')
    t = evaluate_pairs(bicubic_upscale, SyntheticIRDataset(2, 32, seed=0), extra_metrics=('musiq',))
    assert all(r['musiq'].startswith('not available') for r in t.rows) and isinstance(t.rows[0]['psnr'], float)


def test_metric_table_exports(tmp_path):
    t = MetricTable([dict(kind='a', psnr=30.0), dict(kind='b', psnr=32.0), dict(kind='a', psnr=28.0)])
    m = {r['kind']: r for r in t.mean('kind')}
    assert m['a']['psnr'] == 29.0 and m['a']['n'] == 2
    assert '| kind | psnr |' in t.to_markdown() and t.to_csv(tmp_path/'x.csv').startswith('kind,psnr')
    import json; assert json.loads(t.to_json(tmp_path/'x.json'))['mean'][0]['psnr'] == 30.0
