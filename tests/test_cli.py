"The realiisr-lite command: help everywhere, one clear line for bad arguments and bad files, real outputs."
import json, os, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
from PIL import Image

CLI = [sys.executable, '-m', 'realiisr_lite.cli']
COMMANDS = ['quickstart', 'synth', 'train', 'sr', 'bench', 'eval', 'demo', 'course', 'info']


def run(*args, timeout=300, **kw):
    env = dict(os.environ, OMP_NUM_THREADS='1', MPLBACKEND='Agg')
    return subprocess.run(CLI + list(args), capture_output=True, text=True, timeout=timeout, env=env, **kw)


@pytest.mark.parametrize('cmd', COMMANDS)
def test_help(cmd):
    r = run(cmd, '--help')
    assert r.returncode == 0 and 'usage: realiisr-lite' in r.stdout


@pytest.mark.parametrize('args,expect', [
    (['train', '--set', 'var.nope=1', '--print-config'], 'unknown config key'),
    (['train', '--config', 'huge', '--print-config'], 'unknown config'),
    (['sr', 'no_such_file.png'], 'input not found'),
    (['quickstart', '--size', '30'], 'multiple of 4'),
    (['synth', '/tmp/x', '--n', '0'], 'at least 1'),
    (['bench', '--modes', 'warp'], 'unknown --modes'),
    (['eval', '--model', 'x=/nonexistent/model'], 'not found'),
])
def test_bad_arguments_give_one_line(args, expect):
    r = run(*args)
    assert r.returncode == 2, r.stderr
    assert expect in r.stderr and 'Traceback' not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_sr_bad_file_one_line(tmp_path):
    "A bad file is reported before the model loads (the model folder here does not even exist)."
    (tmp_path/'bad.png').write_bytes(b'not an image at all')
    r = run('sr', str(tmp_path/'bad.png'), '--model', str(tmp_path/'no_model'))
    assert r.returncode == 2 and 'not a readable image' in r.stderr and 'Traceback' not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and 'no_model' not in r.stderr


def _grey(path, seed=0, size=(20, 24)):
    a = (40 + 150 * np.random.default_rng(seed).random(size)).astype(np.uint8)
    Image.fromarray(a).save(path)
    return a


def test_sr_folder_goes_to_a_sibling_and_skips_its_own_outputs(tmp_path):
    "`sr FILE` then `sr FOLDER`: the folder's results go to FOLDER_sr/, and FILE_sr.png is not taken for a new input."
    src = tmp_path/'frames'; src.mkdir()
    _grey(src/'a.png', 0); _grey(src/'b.png', 1)
    m = _micro_model(tmp_path)
    r = run('sr', str(src/'a.png'), '--model', str(m))
    assert r.returncode == 0 and (src/'a_sr.png').exists(), r.stderr
    r = run('sr', str(src), '--model', str(m))
    assert r.returncode == 0, r.stderr
    assert 'skipping 1 file' in r.stderr and 'a_sr.png' not in r.stdout
    assert sorted(p.name for p in (tmp_path/'frames_sr').iterdir()) == ['a.png', 'b.png']
    assert sorted(p.name for p in src.iterdir()) == ['a.png', 'a_sr.png', 'b.png']          # nothing new in the input folder
    assert Image.open(tmp_path/'frames_sr'/'b.png').size == (96, 80)
    # greedy decoding is deterministic: the folder's a.png is the same image as the single-file run's a_sr.png
    assert np.array_equal(np.asarray(Image.open(tmp_path/'frames_sr'/'a.png')), np.asarray(Image.open(src/'a_sr.png')))
    r = run('sr', str(src), '--model', str(m), '--out', str(src))
    assert r.returncode == 2 and 'overwrite the inputs' in r.stderr


@pytest.mark.parametrize('out', ['/proc/realiisr_sr_test/out.png', 'FILE/out.png'])
def test_sr_unwritable_output_fails_before_the_model(tmp_path, out):
    "The output location is tried first; the message names the user's path (no temporary file), and nothing is computed."
    _grey(tmp_path/'a.png')
    out = out.replace('FILE', str(tmp_path/'a.png'))               # a folder path that runs through an existing file
    r = run('sr', str(tmp_path/'a.png'), '--model', str(tmp_path/'no_model'), '--out', out)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith(f'realiisr-lite sr: error: cannot write the output {out}: '), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and '.tmp' not in r.stderr and 'no_model' not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ['a.png']
    if out.startswith(str(tmp_path)): assert r.stderr.strip().endswith(f"{tmp_path/'a.png'} is a file, not a folder"), r.stderr


def test_sr_pixel_limit_names_the_file(tmp_path):
    from realiisr_lite.inference import MAX_LR_PIXELS
    side = int(MAX_LR_PIXELS ** 0.5) + 1
    Image.fromarray(np.full((side, side), 100, np.uint8)).save(tmp_path/'huge.png')
    r = run('sr', str(tmp_path/'huge.png'), '--model', str(tmp_path/'no_model'))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert f"{tmp_path/'huge.png'}: image {side}x{side} is too large ({side * side:,} pixels, the limit is {MAX_LR_PIXELS:,})" in r.stderr
    (tmp_path/'dir').mkdir(); (tmp_path/'huge.png').rename(tmp_path/'dir'/'huge.png')   # and inside a folder
    r = run('sr', str(tmp_path/'dir'), '--model', str(_micro_model(tmp_path)))
    assert r.returncode == 2 and f"skipped: {tmp_path/'dir'/'huge.png'}: image {side}x{side} is too large" in r.stderr


def test_sr_huge_input_refused_before_decoding(huge_png, no_decoding, tmp_path, capsys):
    "`sr` on a 6000×6000 PNG: one line in under 0.5 s, from the file's header (PIL's decoder is switched off here)."
    import time
    from realiisr_lite.cli import main
    import realiisr_lite.model  # noqa: F401  (imported before the clock starts, as it is in a running `sr`)
    t0 = time.perf_counter()
    assert main(['sr', str(huge_png), '--model', str(tmp_path/'no_model'), '--out', str(tmp_path/'out.png')]) == 2
    assert time.perf_counter() - t0 < 0.5
    err = capsys.readouterr().err
    assert err == f"realiisr-lite sr: error: {huge_png}: image 6000x6000 is too large (36,000,000 pixels, the limit is 4,000,000)\n", err
    _grey(tmp_path/'thumb.png', size=(7, 30))
    assert main(['sr', str(tmp_path/'thumb.png'), '--model', str(tmp_path/'no_model')]) == 2
    assert 'thumb.png: image 30x7 is too small (need at least 8x8 pixels)' in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ['thumb.png']


@pytest.mark.parametrize('argv', [['quickstart', '--out', 'FILE/q'], ['synth', 'FILE/pairs', '--n', '1', '--size', '32'],
                                  ['train', '--out', 'FILE/run', '--steps', '1'], ['eval', '--no-model', '--out', 'FILE/report'],
                                  ['course', 'export', '--student', 'FILE/student'], ['sr', 'FILE', '--out', 'FILE/deeper/x.png']])
def test_output_under_a_file_says_so(tmp_path, capsys, argv):
    "An output path that runs through an existing file: one line saying that file is not a folder (not 'File exists'), no work done."
    from realiisr_lite.cli import main
    f = tmp_path/'notes.png'; _grey(f)
    assert main([a.replace('FILE', str(f)) for a in argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.strip().endswith(f"{f} is a file, not a folder"), err
    assert 'File exists' not in err and sorted(p.name for p in tmp_path.iterdir()) == ['notes.png']


def test_sr_allow_pseudocolor(tmp_path):
    "A palette image is refused with a hint the CLI can follow; with --allow-pseudocolor it is the SR of its luminance."
    rng = np.random.default_rng(3)
    rgb = np.stack([rng.integers(0, 256, (20, 24)), rng.integers(0, 256, (20, 24)), rng.integers(0, 256, (20, 24))], -1).astype(np.uint8)
    Image.fromarray(rgb).save(tmp_path/'iron.png')
    lum = np.round(0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]).astype(np.uint8)   # ITU-R 601 luma
    Image.fromarray(lum).save(tmp_path/'lum.png')
    m = _micro_model(tmp_path)
    r = run('sr', str(tmp_path/'iron.png'), '--model', str(m))
    assert r.returncode == 2 and 'pseudo-colour' in r.stderr and '--allow-pseudocolor' in r.stderr and 'allow_pseudocolor=True' not in r.stderr
    r = run('sr', str(tmp_path/'iron.png'), '--model', str(m), '--allow-pseudocolor')
    assert r.returncode == 0, r.stderr
    assert run('sr', str(tmp_path/'lum.png'), '--model', str(m)).returncode == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path/'iron_sr.png')), np.asarray(Image.open(tmp_path/'lum_sr.png')))


def _micro_model(tmp_path):
    from realiisr_lite.inference import RealIISR
    from realiisr_lite.train import micro_config
    d = tmp_path/'micro'
    if not d.exists(): RealIISR(micro_config()).save_pretrained(d)
    return d


def test_sr_16bit_in_16bit_out_and_folder(tmp_path):
    a = (14000 + 3000 * np.random.default_rng(0).random((20, 24))).astype(np.uint16)
    src = tmp_path/'in'; src.mkdir()
    Image.fromarray(a).save(src/'raw16.png')
    Image.fromarray((a // 256).astype(np.uint8)).save(src/'img8.png')
    m = _micro_model(tmp_path)
    r = run('sr', str(src/'raw16.png'), '--model', str(m), '--out', str(tmp_path/'out16.png'))
    assert r.returncode == 0, r.stderr
    out = Image.open(tmp_path/'out16.png')
    assert out.size == (96, 80) and out.mode.startswith('I;16')
    r = run('sr', str(src), '--model', str(m), '--out', str(tmp_path/'sr_dir'))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path/'sr_dir').iterdir()) == ['img8.png', 'raw16.png']
    assert Image.open(tmp_path/'sr_dir'/'img8.png').mode == 'L'


def test_synth_writes_flir_layout(tmp_path):
    r = run('synth', str(tmp_path/'ds'), '--n', '4', '--size', '64')
    assert r.returncode == 0, r.stderr
    assert len(list((tmp_path/'ds'/'HR').glob('*.png'))) == 4 and len(list((tmp_path/'ds'/'LR').glob('*.png'))) == 4
    assert Image.open(tmp_path/'ds'/'LR'/'00000.png').size == (16, 16)
    assert json.loads((tmp_path/'ds'/'labels.json').read_text())['00001']['kind'] == 'motion'


def test_bench_writes_json(tmp_path):
    r = run('bench', '--config', 'tiny', '--set', 'var.depth=1', '--modes', 'forward,cache', '--repeats', '1', '--json', str(tmp_path/'b.json'))
    assert r.returncode == 0, r.stderr
    d = json.loads((tmp_path/'b.json').read_text())
    assert d['forward_s_per_image'] > 0 and d['cache_s_per_image'] > 0 and 'KV cache' not in r.stdout



def test_bench_image_rows(tmp_path):
    "bench --image: KV cache on (channels-last and the contiguous control) and off, per-stage split adding up, one JSON row each."
    r = run('bench', '--image', '16', '--repeats', '1', '--json', str(tmp_path/'b.json'))
    assert r.returncode == 0, r.stderr
    runs = json.loads((tmp_path/'b.json').read_text())['runs']
    assert [(x['use_cache'], x['layout']) for x in runs] == [(True, 'channels-last'), (True, 'contiguous'), (False, 'channels-last')]
    for x in runs:
        parts = x['prior'] + x['condition'] + x['generation'] + x['decoding'] + x['tiling']
        assert 0 < parts <= x['wall'] * 1.05 and x['size'] == 16
    assert 'contiguous' in r.stdout and r.stdout.count('channels-last') == 2

def test_info_json():
    r = run('info', '--json')
    assert r.returncode == 0
    d = json.loads(r.stdout)
    assert d['device'] in ('cpu', 'cuda', 'mps') and 'weights_lpips' in d


# The MSE design (`tiny-mse`) at micro size: a decoder with a fidelity path, expected decoding, w = 1.
MSE_DESIGN = {'vqvae.decoder': 'conv', 'vqvae.fidelity': True, 'decode': 'expected', 'fidelity': 1.0}


def _fidelity_model(tmp_path):
    "A micro model of the MSE design whose fidelity path acts (its zero-initialised last convolutions set to random values)."
    import torch
    from realiisr_lite.inference import RealIISR
    from realiisr_lite.train import micro_config
    d = tmp_path/'fid'
    if not d.exists():
        torch.manual_seed(0)
        m = RealIISR(micro_config(**MSE_DESIGN))
        for f in m.vqvae.fidelity.fuse: torch.nn.init.normal_(f.net[-1].weight, std=0.3)
        m.save_pretrained(d)
    return d


def test_sr_fidelity_and_decode(tmp_path):
    "--fidelity reaches the decoder (w = 0 and 1 differ), --decode picks the decoding; both are recorded; bad values: one line."
    from realiisr_lite.data import read_description
    _grey(tmp_path/'a.png', 0)
    m = _fidelity_model(tmp_path)
    outs = {}
    for name, args in (('w0', ['--fidelity', '0']), ('w1', ['--fidelity', '1']), ('greedy', ['--decode', 'greedy', '--fidelity', '1'])):
        r = run('sr', str(tmp_path/'a.png'), '--model', str(m), '--out', str(tmp_path/f'{name}.png'), *args)
        assert r.returncode == 0, r.stderr
        outs[name] = np.asarray(Image.open(tmp_path/f'{name}.png'), np.float64)
    assert np.abs(outs['w1'] - outs['w0']).mean() > 1 and np.abs(outs['greedy'] - outs['w1']).mean() > 0.5
    rec0, rec_g = read_description(tmp_path/'w0.png')['decoding'], read_description(tmp_path/'greedy.png')['decoding']
    assert (rec0['fidelity'], rec0['decode']) == (0.0, 'expected') and (rec_g['fidelity'], rec_g['decode']) == (1.0, 'greedy')
    for args, why in ((['--fidelity', '1.5'], '--fidelity must lie in [0, 1]'), (['--sample', '--decode', 'expected'], '--sample contradicts')):
        r = run('sr', str(tmp_path/'a.png'), '--model', str(tmp_path/'no_model'), *args)     # refused before the model loads
        assert r.returncode == 2 and why in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = run('sr', str(tmp_path/'a.png'), '--model', str(m), '--decode', 'best')                # argparse: usage, then the error
    assert r.returncode == 2 and "invalid choice: 'best'" in r.stderr.strip().splitlines()[-1], r.stderr


def test_sr_fidelity_without_a_fidelity_path(tmp_path):
    "A model without a fidelity path: one note that --fidelity has no effect, and the same result for any w."
    from realiisr_lite.inference import RealIISR
    from realiisr_lite.train import micro_config
    from realiisr_lite.data import read_description
    RealIISR(micro_config(**{**MSE_DESIGN, 'vqvae.fidelity': False})).save_pretrained(tmp_path/'nofid')
    _grey(tmp_path/'a.png', 0)
    res = []
    for w in ('0', '1'):
        r = run('sr', str(tmp_path/'a.png'), '--model', str(tmp_path/'nofid'), '--fidelity', w, '--out', str(tmp_path/f'w{w}.png'))
        assert r.returncode == 0 and r.stderr.strip() == f'note: this model has no fidelity path; --fidelity {w} has no effect', r.stderr
        res.append(np.asarray(Image.open(tmp_path/f'w{w}.png')))
    assert np.array_equal(*res) and read_description(tmp_path/'w0.png')['decoding']['fidelity'] is None


def test_sr_uncertainty(tmp_path):
    "--uncertainty writes <out stem>_uncertainty.png: the flip-spread map (tta, default) scaled by 255 / 1 %, computed here by hand from 4 SR passes; --uncertainty variance: 255 / (a uniform guess's variance); entropy: 255 / log K; sr FOLDER skips both."
    import torch
    from realiisr_lite.data import load_thermal, read_description
    from realiisr_lite.inference import load_pretrained
    yy, xx = np.mgrid[:20, :24]
    t = (5 + 0.3 * yy + 20 * np.exp(-((xx - 14)**2 + (yy - 8)**2) / 18.)).astype(np.float32)     # °C
    src = tmp_path/'frames'; src.mkdir()
    Image.fromarray(t).save(src/'scene_c.tif')
    m = _fidelity_model(tmp_path)
    r = run('sr', str(src/'scene_c.tif'), '--model', str(m), '--uncertainty')
    assert r.returncode == 0, r.stderr
    u = np.asarray(Image.open(src/'scene_c_sr_uncertainty.png'))
    assert u.dtype == np.uint8 and u.shape == (80, 96) and Image.open(src/'scene_c_sr.tif').mode == 'F'
    model = load_pretrained(m)
    lr = load_thermal(src/'scene_c.tif')[0][None]
    with torch.no_grad():                                               # tta by hand: views 0, 7 (transpose + both flips), 3, 4
        sr = lambda x: model.super_resolve(x).sr
        views = [sr(lr), sr(lr.transpose(-2, -1).flip(-2).flip(-1)).flip(-1).flip(-2).transpose(-2, -1),
                 sr(lr.flip(-2).flip(-1)).flip(-1).flip(-2), sr(lr.transpose(-2, -1)).transpose(-2, -1)]
    tmap = 100 * torch.stack(views).std(0, unbiased=False)[0, 0].numpy().astype(np.float64)
    assert np.abs(u.astype(np.float64) - np.clip(np.round(tmap / 1 * 255), 0, 255)).max() <= 1
    assert f'uncertainty (tta) {tmap.min():.2f}…{tmap.max():.2f} % of the range -> scene_c_sr_uncertainty.png' in r.stdout, r.stdout
    rec = read_description(src/'scene_c_sr_uncertainty.png')['uncertainty']
    assert rec['measure'] == 'tta' and rec['units'] == '% of the range' and abs(rec["stored_to_units"][0] * 255 - 1) < 1e-12
    r = run('sr', str(src/'scene_c.tif'), '--model', str(m), '--uncertainty', 'variance')
    assert r.returncode == 0, r.stderr
    u = np.asarray(Image.open(src/'scene_c_sr_uncertainty.png'))
    with torch.no_grad(): umap = model.super_resolve(lr, uncertainty='variance').uncertainty     # the map itself, from the API
    umap = umap[0, 0].numpy().astype(np.float64)
    with torch.no_grad(): cb = model.condition(torch.full((1, 1) + (model.config.lr_size,) * 2, 0.5))[2]   # the decoded (CAC) codebook
    cb = (model.vqvae.codebook if cb is None else cb[0]).double().numpy()
    uniform = ((cb - cb.mean(0)) ** 2).sum(1).mean()                   # the code variance of a uniform guess, by hand
    expect = np.clip(np.round(umap / uniform * 255), 0, 255)
    assert np.abs(u.astype(np.float64) - expect).max() <= 1, np.abs(u - expect).max()
    assert f'uncertainty (variance) {umap.min():.2f}…{umap.max():.2f} latent units² -> scene_c_sr_uncertainty.png' in r.stdout, r.stdout
    rec = read_description(src/'scene_c_sr_uncertainty.png')['uncertainty']
    assert abs(rec['stored_to_units'][0] * 255 - uniform) < 1e-6 and rec['units'] == 'latent units²' and rec['of'] == 'scene_c_sr.tif'
    assert rec['measure'] == 'variance'
    r = run('sr', str(src/'scene_c.tif'), '--model', str(m), '--uncertainty', 'entropy', '--out', str(tmp_path/'ent.tif'))
    assert r.returncode == 0, r.stderr
    with torch.no_grad(): emap = model.super_resolve(load_thermal(src/'scene_c.tif')[0][None], uncertainty='entropy').uncertainty
    emap = emap[0, 0].numpy().astype(np.float64)
    expect = np.clip(np.round(emap / np.log(32) * 255), 0, 255)         # K = 32 codes in the micro config
    assert np.abs(np.asarray(Image.open(tmp_path/'ent_uncertainty.png')).astype(np.float64) - expect).max() <= 1
    assert f'uncertainty (entropy) {emap.min():.2f}…{emap.max():.2f} nats' in r.stdout, r.stdout
    rec = read_description(tmp_path/'ent_uncertainty.png')['uncertainty']
    assert abs(rec['stored_to_units'][0] * 255 - np.log(32)) < 1e-12 and rec['units'] == 'nats' and rec['measure'] == 'entropy'
    assert not np.allclose(emap, umap)                                  # two different measures
    r = run('sr', str(src), '--model', str(m))                         # the folder: neither output is taken for an input
    assert r.returncode == 0 and 'skipping 2 file' in r.stderr, r.stderr
    assert sorted(p.name for p in (tmp_path/'frames_sr').iterdir()) == ['scene_c.tif']
