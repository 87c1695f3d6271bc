"""Issue 14, the round trip of units: an SR result is written in its input's kind (float32 TIFF in °C/K, 16-bit counts,
8-bit), by the exact inverse of `load_thermal`'s normalisation, through `save_like_input` and `realiisr-lite sr`.

References are computed independently: the temperature map itself (numpy, float64), bicubic interpolation of the °C
map (not of the normalised image), `save_thermal` for the old 8/16-bit behaviour, and the model's [0, 1] output
computed in this process. Tolerances: float32 holds a 25 °C range to about 2e-6 °C, so exact-inverse checks use
1e-4 °C (50× margin); integer outputs are within half a storage step (+ float slack)."""
import contextlib, io, json, os, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from realiisr_lite.core import shared_data_dir
from realiisr_lite.data import (ThermalImageError, load_thermal, save_thermal, save_like_input, encode_like_input,
                                output_bits, read_description, write_thermal_file)

CLI = [sys.executable, '-m', 'realiisr_lite.cli']
EXACT_C = 1e-4          # °C: the float32 inverse of an affine map over a few tens of °C is good to ~1e-6


def run(*args, timeout=300):
    env = dict(os.environ, OMP_NUM_THREADS='1', MPLBACKEND='Agg')
    return subprocess.run(CLI + list(args), capture_output=True, text=True, timeout=timeout, env=env)


def _celsius(h=60, w=80, seed=0) -> np.ndarray:
    "A synthetic temperature map in °C: a vertical gradient, texture and a hot spot (about −12 … 45 °C)."
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w]
    t = -12 + 15 * yy / h + 1.5 * rng.standard_normal((h, w)) + 40 * np.exp(-((xx - 0.6 * w)**2 + (yy - 0.4 * h)**2) / (0.02 * h * w))
    return t.astype(np.float32)


@pytest.fixture(scope='module')
def car_lr(tmp_path_factory):
    "The issue's example: moving_car_temp_c.tif area-downsampled ×4 to 80×60 °C, written to a tmp dir (a synthetic map without the shared data)."
    d = tmp_path_factory.mktemp('car')
    sd = shared_data_dir()
    src = sd/'wikimedia_cc0'/'moving_car_temp_c.tif' if sd is not None else None
    if src is not None and src.exists():
        t = np.array(Image.open(src), np.float64)
        lr = F.avg_pool2d(torch.from_numpy(t)[None, None], 4)[0, 0].numpy().astype(np.float32)
    else: lr = _celsius()
    Image.fromarray(lr).save(d/'car_lr_c.tif')
    return d/'car_lr_c.tif', lr


@pytest.fixture(scope='module')
def micro(tmp_path_factory):
    from realiisr_lite.inference import RealIISR
    from realiisr_lite.train import micro_config
    d = tmp_path_factory.mktemp('model')/'micro'
    torch.manual_seed(0)
    RealIISR(micro_config()).save_pretrained(d)
    return d


def _bicubic(a: np.ndarray, s: int = 4) -> np.ndarray:
    return F.interpolate(torch.from_numpy(np.asarray(a, np.float64))[None, None], scale_factor=s, mode='bicubic',
                         align_corners=False)[0, 0].numpy()


def _model_sr01(model_dir, lr_path) -> np.ndarray:
    "The model's [0, 1] SR of a file, computed here as `sr` computes it (CPU, one thread, greedy, model defaults)."
    from realiisr_lite.inference import load_pretrained
    n = torch.get_num_threads(); torch.set_num_threads(1)
    try:
        x, _ = load_thermal(lr_path)
        return load_pretrained(model_dir).super_resolve(x[None]).sr[0, 0].double().numpy()
    finally: torch.set_num_threads(n)


# ---------------------------------------------------------------- save_like_input
def test_output_bits_follows_the_input_unless_chosen():
    assert [output_bits(dict(kind=k)) for k in ('float', 'raw16', 'display8')] == ['float', 16, 8]
    assert output_bits(None) == 8 and output_bits(dict(kind='raw16'), 'auto') == 16
    assert [output_bits(dict(kind='float'), b) for b in (8, '16', 'float', 'FLOAT')] == [8, 16, 'float', 'float']
    with pytest.raises(ValueError, match="8, 16 or 'float'"): output_bits(dict(kind='float'), 12)


@pytest.mark.parametrize('offset', [0.0, 273.15])            # °C and K
def test_float_map_round_trip_is_exact(tmp_path, offset):
    t = _celsius() + np.float32(offset)
    Image.fromarray(t).save(tmp_path/'t.tif')
    x, meta = load_thermal(tmp_path/'t.tif')
    out = save_like_input(x, tmp_path/'t_back.tif', meta)
    im = Image.open(out)
    back = np.asarray(im)
    assert im.mode == 'F' and back.dtype == np.float32 and back.shape == t.shape
    assert np.abs(back.astype(np.float64) - t).max() < EXACT_C                 # every pixel, in the file's own units
    rec = read_description(out)
    assert rec['output']['bits'] == 'float' and rec['output']['stored_to_input_units'] == [1.0, 0.0]
    assert rec['input']['norm_range'] == pytest.approx([float(t.min()), float(t.max())])
    assert rec['input']['file'] == 't.tif' and '/' not in rec['input']['file']


def test_float_sr_is_the_bicubic_of_the_temperatures(tmp_path, car_lr):
    "A model that adds nothing to bicubic: the file is the bicubic of the °C map, limited to the LR's range, nothing else."
    path, t_lr = car_lr
    x, meta = load_thermal(path)
    sr01 = F.interpolate(x[None], scale_factor=4, mode='bicubic', align_corners=False).clamp(0, 1)   # what a model returns
    back = np.asarray(Image.open(save_like_input(sr01, tmp_path/'sr.tif', meta))).astype(np.float64)
    bic = _bicubic(t_lr)                                                       # interpolated in °C, float64
    lo, hi = float(t_lr.min()), float(t_lr.max())
    assert back.shape == (4 * t_lr.shape[0], 4 * t_lr.shape[1])
    assert lo - EXACT_C <= back.min() and back.max() <= hi + EXACT_C
    assert np.abs(back - np.clip(bic, lo, hi)).max() < EXACT_C
    # Bound on the mean absolute difference to the unclipped bicubic: the clipped overshoot and nothing more
    # (on the car crop 1e-4 °C: 0.08 % of the pixels, at most 0.49 °C); 0.01 °C holds for any smooth map like these.
    mad = np.abs(back - bic).mean()
    assert mad <= np.abs(np.clip(bic, lo, hi) - bic).mean() + EXACT_C and mad < 0.01


def test_16bit_counts_come_back_as_counts(tmp_path):
    rng = np.random.default_rng(1)
    a = (14000 + 3000 * rng.random((40, 48))).astype(np.uint16)
    a[5, 7] = 19000                                                           # a hot pixel beyond the 99th percentile
    Image.fromarray(a).save(tmp_path/'raw.png')
    x, meta = load_thermal(tmp_path/'raw.png')                                 # percentile (AGC-like) window
    lo, hi = meta['norm_range']
    back = np.asarray(Image.open(save_like_input(x, tmp_path/'back.png', meta))).astype(np.int64)
    assert Image.open(tmp_path/'back.png').mode == 'I;16'
    assert np.abs(back - np.clip(a, lo, hi)).max() <= 1                        # counts, clipped only to the load's window
    assert back[5, 7] == round(hi) and round(lo) <= back.min() and back.max() <= round(hi)
    x, meta = load_thermal(tmp_path/'raw.png', normalize='minmax')              # the whole count range survives
    back = np.asarray(Image.open(save_like_input(x, tmp_path/'back_mm.tif', meta))).astype(np.int64)
    assert np.abs(back - a).max() <= 1 and back.max() == 19000 and back.min() == a.min()


def test_8bit_unchanged_and_chosen_kinds_match_save_thermal(tmp_path):
    "What `sr` wrote before issue 14 (save_thermal) is still written, pixel for pixel, wherever the kind is the old one."
    x = torch.rand(1, 30, 40); x[0, 0, :4] = torch.tensor([0., 1., 0.5, 127.5 / 255])
    Image.fromarray((np.random.default_rng(0).random((30, 40)) * 255).astype(np.uint8)).save(tmp_path/'in8.png')
    _, m8 = load_thermal(tmp_path/'in8.png')
    a = (14000 + 2000 * np.random.default_rng(2).random((30, 40))).astype(np.uint16)
    Image.fromarray(a).save(tmp_path/'in16.png')
    _, m16 = load_thermal(tmp_path/'in16.png')
    Image.fromarray(_celsius(30, 40)).save(tmp_path/'inf.tif')
    _, mf = load_thermal(tmp_path/'inf.tif')
    cases = [(m8, None, 8, None), (m16, None, 16, m16), (m16, 8, 8, None), (m8, 16, 16, None), (mf, 8, 8, None), (mf, 16, 16, None)]
    for i, (meta, ob, bits, smeta) in enumerate(cases):
        new = np.asarray(Image.open(save_like_input(x, tmp_path/f'new{i}.png', meta, out_bits=ob)))
        old = np.asarray(Image.open(save_thermal(x, tmp_path/f'old{i}.png', bit_depth=bits, meta=smeta)))
        assert new.dtype == old.dtype and np.array_equal(new, old), (meta['kind'], ob)


def test_chosen_kind_records_how_to_get_the_units_back(tmp_path):
    t = _celsius()
    Image.fromarray(t).save(tmp_path/'t.tif')
    x, meta = load_thermal(tmp_path/'t.tif')
    span = float(t.max() - t.min())
    for ob, top, mode in ((16, 65535, 'I;16'), (8, 255, 'L')):
        p = save_like_input(x, tmp_path/f't{ob}.png', meta, out_bits=ob)
        g, b = read_description(p)['output']['stored_to_input_units']
        assert Image.open(p).mode == mode and g == pytest.approx(span / top)
        assert np.abs(np.asarray(Image.open(p)) * g + b - t).max() <= span / top / 2 + EXACT_C
    Image.fromarray((14000 + 2000 * np.random.default_rng(3).random((20, 24))).astype(np.uint16)).save(tmp_path/'r.png')
    xr, mr = load_thermal(tmp_path/'r.png', normalize='minmax')
    counts = np.asarray(Image.open(save_like_input(xr, tmp_path/'r.tif', mr, out_bits='float')))
    assert counts.dtype == np.float32
    assert np.abs(counts - np.asarray(Image.open(tmp_path/'r.png')).astype(np.float64)).max() < 1e-2   # counts as float


def test_description_sidecar_and_caller_fields(tmp_path):
    t = _celsius(20, 24)
    Image.fromarray(t).save(tmp_path/'t.tif')
    x, meta = load_thermal(tmp_path/'t.tif')
    desc = dict(model=dict(name='tiny', path='bundled'), scale=4, decoding=dict(decode='greedy'))
    p = save_like_input(x, tmp_path/'o.tif', meta, description=desc, sidecar=True)
    rec = read_description(p)
    assert rec == json.loads((tmp_path/'o.tif.json').read_text(encoding='utf-8'))
    assert rec['scale'] == 4 and rec['model']['name'] == 'tiny' and rec['decoding']['decode'] == 'greedy'
    assert 'norm_range' in rec['limits'] and rec['output']['units'] == 'input'
    arr, rec2 = encode_like_input(x, meta)                                     # the pure half: same array, same record
    assert np.array_equal(arr, np.asarray(Image.open(p))) and rec2['output'] == rec['output']
    write_thermal_file((arr > arr.mean()).astype(np.uint8) * 255, tmp_path/'mask.bmp', dict(note='bmp'),
                       sidecar=True)                                           # BMP holds no text: the sidecar does
    assert read_description(tmp_path/'mask.bmp') == dict(note='bmp')
    assert read_description(tmp_path/'t.tif') is None                         # a file without a record


def test_refusals_write_nothing(tmp_path):
    t = _celsius(20, 24)
    Image.fromarray(t).save(tmp_path/'t.tif')
    x, meta = load_thermal(tmp_path/'t.tif')
    out = tmp_path/'out'; out.mkdir()
    bad = x.clone(); bad[0, 3, 4] = float('nan')
    with pytest.raises(ValueError, match='NaN'): save_like_input(bad, out/'nan.tif', meta)
    with pytest.raises(ValueError, match='PNG cannot hold float32'): save_like_input(x, out/'f.png', meta)
    with pytest.raises(ValueError, match='BMP cannot hold 16-bit'): save_like_input(x, out/'f.bmp', meta, out_bits=16)
    with pytest.raises(ValueError, match="8, 16 or 'float'"): save_like_input(x, out/'f.tif', meta, out_bits=32)
    assert list(out.iterdir()) == []                                           # not even a temporary file


def test_nan_pixel_in_a_float_map_is_still_refused_at_load(tmp_path):
    t = _celsius(20, 24); t[3, 4] = np.nan
    Image.fromarray(t).save(tmp_path/'nan_c.tif')
    with pytest.raises(ThermalImageError, match=r'nan_c.tif: 1 NaN/inf pixel values'): load_thermal(tmp_path/'nan_c.tif')


# ---------------------------------------------------------------- realiisr-lite sr
def test_cli_float_celsius_in_float_celsius_out(tmp_path, car_lr, micro):
    "The issue's example: float °C in → float32 °C TIFF out, the exact inverse of the model's [0, 1] output."
    path, t_lr = car_lr
    src = tmp_path/'car_lr_c.tif'; src.write_bytes(path.read_bytes())
    r = run('sr', str(src), '--model', str(micro), '--device', 'cpu')
    assert r.returncode == 0, r.stderr
    dst = tmp_path/'car_lr_c_sr.tif'
    assert f"-> {dst} (320x240, float32 " in r.stdout and "in the input's units" in r.stdout
    im = Image.open(dst)
    back = np.asarray(im).astype(np.float64)
    assert im.mode == 'F' and np.asarray(im).dtype == np.float32 and back.shape == (240, 320)
    lo, hi = float(t_lr.min()), float(t_lr.max())
    sr01 = _model_sr01(micro, src)                                            # the same model, computed here
    assert np.abs(back - (sr01 * (hi - lo) + lo)).max() < EXACT_C
    assert lo - EXACT_C <= back.min() and back.max() <= hi + EXACT_C           # within the input's range
    # against the bicubic of the same °C input: the mean absolute difference is what the model adds, (hi − lo) times
    # its difference in [0, 1] (the map is affine), to float precision. This micro model has random weights, so
    # what it adds is large; a mapping error (8-bit levels, [0, 1], swapped ends) is off by degrees.
    bic = _bicubic(t_lr)
    bic01 = _bicubic((t_lr.astype(np.float64) - lo) / (hi - lo))
    assert abs(np.abs(back - bic).mean() - (hi - lo) * np.abs(sr01 - bic01).mean()) < 1e-3
    rec = read_description(dst)
    assert rec['scale'] == 4 and rec['model']['path'] == str(micro) and rec['decoding']['adain'] in (True, False)
    assert rec['input']['kind'] == 'float' and rec['output']['value_range'] == pytest.approx([back.min(), back.max()])


def test_cli_out_bits(tmp_path, car_lr, micro):
    path, t_lr = car_lr
    src = tmp_path/'c.tif'; src.write_bytes(path.read_bytes())
    r = run('sr', str(src), '--model', str(micro), '--device', 'cpu', '--out-bits', '16', '--sidecar')
    assert r.returncode == 0 and '16-bit, 0…65535 = ' in r.stdout, r.stderr
    p16 = tmp_path/'c_sr.png'
    assert Image.open(p16).mode == 'I;16' and (tmp_path/'c_sr.png.json').exists()
    g, b = read_description(p16)['output']['stored_to_input_units']
    sr_c = _model_sr01(micro, src) * float(t_lr.max() - t_lr.min()) + float(t_lr.min())
    assert np.abs(np.asarray(Image.open(p16)) * g + b - sr_c).max() <= g / 2 + EXACT_C   # °C back from the counts
    r = run('sr', str(src), '--model', str(micro), '--device', 'cpu', '--bits', '8', '--out', str(tmp_path/'c8.png'))
    assert r.returncode == 0 and Image.open(tmp_path/'c8.png').mode == 'L' and '(320x240, 8-bit' in r.stdout, r.stderr
    # a name that cannot hold float32 is refused before the model loads (the model folder does not exist)
    r = run('sr', str(src), '--model', str(tmp_path/'no_model'), '--out', str(tmp_path/'f.png'))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert 'PNG cannot hold float32' in r.stderr and 'no_model' not in r.stderr and not (tmp_path/'f.png').exists()


def test_cli_folder_each_file_in_its_kind(tmp_path, car_lr, micro):
    src = tmp_path/'in'; src.mkdir()
    (src/'car_c.tif').write_bytes(car_lr[0].read_bytes())
    a16 = (14000 + 3000 * np.random.default_rng(0).random((20, 24))).astype(np.uint16)
    Image.fromarray(a16).save(src/'raw16.png')
    Image.fromarray((40 + 150 * np.random.default_rng(1).random((20, 24))).astype(np.uint8)).save(src/'img8.png')
    r = run('sr', str(src), '--model', str(micro), '--device', 'cpu')
    assert r.returncode == 0, r.stderr
    out = tmp_path/'in_sr'
    assert sorted(p.name for p in out.iterdir()) == ['car_c.tif', 'img8.png', 'raw16.png']
    assert [Image.open(out/n).mode for n in ('car_c.tif', 'raw16.png', 'img8.png')] == ['F', 'I;16', 'L']
    assert '16-bit counts' in r.stdout and 'float32' in r.stdout
    _, m16 = load_thermal(src/'raw16.png')
    c = np.asarray(Image.open(out/'raw16.png')).astype(np.float64)
    np.testing.assert_allclose(c, np.floor(_model_sr01(micro, src/'raw16.png') * (m16['norm_range'][1] - m16['norm_range'][0])
                                           + m16['norm_range'][0] + 0.5), atol=1)           # counts, in the input's window
    assert m16['norm_range'][0] - 0.5 <= c.min() and c.max() <= m16['norm_range'][1] + 0.5
    # the 8-bit file is what sr always wrote: round(255 · SR)
    expect8 = (np.clip(_model_sr01(micro, src/'img8.png'), 0, 1) * 255 + 0.5).astype(np.uint8)
    assert np.array_equal(np.asarray(Image.open(out/'img8.png')), expect8)


def test_cli_nan_pixel_one_line_nothing_written(tmp_path):
    t = _celsius(20, 24); t[3, 4] = np.nan
    Image.fromarray(t).save(tmp_path/'nan_c.tif')
    r = run('sr', str(tmp_path/'nan_c.tif'), '--model', str(tmp_path/'no_model'))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and 'Traceback' not in r.stderr
    assert 'nan_c.tif: 1 NaN/inf pixel values' in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ['nan_c.tif']


def test_cli_with_a_bicubic_stand_in_model(tmp_path, car_lr, micro, monkeypatch):
    "The whole sr path (load, SR, write) with a model whose output is known: the file is bicubic in °C, limited to the LR's range."
    from realiisr_lite.cli import main
    from realiisr_lite.inference import RealIISR
    calls = []
    from realiisr_lite.inference import SRResult
    def bicubic_sr(self, lr, decoding=None, **kw):
        calls.append(dict(kw, decoding=decoding))
        return SRResult(F.interpolate(lr, scale_factor=self.config.scale, mode='bicubic', align_corners=False).clamp(0, 1), decoding=decoding)
    monkeypatch.setattr(RealIISR, 'super_resolve', bicubic_sr)
    path, t_lr = car_lr
    out = io.StringIO()
    with contextlib.redirect_stdout(out): rc = main(['sr', str(path), '--model', str(micro), '--device', 'cpu', '--out', str(tmp_path/'b.tif')])
    assert rc == 0 and len(calls) == 1 and calls[0]['decoding'].adain is None      # the model's own AdaIN default
    back = np.asarray(Image.open(tmp_path/'b.tif')).astype(np.float64)
    lo, hi = float(t_lr.min()), float(t_lr.max())
    assert np.abs(back - np.clip(_bicubic(t_lr), lo, hi)).max() < EXACT_C
