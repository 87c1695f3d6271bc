"""LPIPS and DISTS against their published calibration values and against pyiqa's own implementation; the Real-ESRGAN peer
against a forward pass written by hand; everything still runs, with one clear line, when the weights are absent."""
import json, os, subprocess, sys, textwrap
import pytest
import torch
import torch.nn.functional as F
from realiisr_lite.core import in_ci
from realiisr_lite import metrics
from realiisr_lite.metrics import (LPIPS, DISTS, RealESRGANPeer, CALIBRATION, PRETRAINED_FILES, WeightsNotFound, calibration_pairs,
                                   find_weights, load_weights, iqa_metric, evaluate_pairs, bicubic_upscale, psnr)
from realiisr_lite.data import SyntheticIRDataset, tno_datasets


@pytest.fixture(scope='module')
def weights():
    "The pretrained weights folder; fails under CI when a file is missing (CI has ../shared/weights), skips elsewhere."
    try: return {n: find_weights(n) for n in PRETRAINED_FILES}
    except WeightsNotFound as e:
        if in_ci(): pytest.fail(f"{e}: CI must run the perceptual-metric tests")
        pytest.skip(str(e))


@pytest.fixture(scope='module')
def nets(weights): return dict(alex=LPIPS('alex'), vgg=LPIPS('vgg'), dists=DISTS())


def test_calibration_values(nets):
    "pyiqa's published scores on its five calibration pairs (I03, I04, I06, I08, I19), to ±2e-4."
    pairs = calibration_pairs()
    with torch.no_grad():
        for key, net in (('lpips', nets['alex']), ('dists', nets['dists'])):
            ours = [net(d, r).item() for d, r in pairs.values()]
            assert max(abs(a - b) for a, b in zip(ours, CALIBRATION[key])) <= 2e-4, (key, ours)


def test_same_as_pyiqa_on_thermal_images(weights, tmp_path):
    "pyiqa's LPIPS-alex, LPIPS-vgg and DISTS, fed the same weights through its own cache layout, agree with ours on real thermal frames."
    code = textwrap.dedent(f'''
        import json, sys, torch
        from pathlib import Path
        from realiisr_lite.metrics import load_weights, LPIPS, DISTS, to_rgb, bicubic_upscale, to_uint8_levels
        from realiisr_lite.data import SyntheticIRDataset, tno_root, tno_datasets
        hub = Path({str(tmp_path)!r})/'hub'; (hub/'checkpoints').mkdir(parents=True); (hub/'pyiqa').mkdir()
        heads = dict(alexnet={{1: (4096, 9216), 4: (4096, 4096), 6: (1000, 4096)}}, vgg16={{0: (4096, 25088), 3: (4096, 4096), 6: (1000, 4096)}})
        for net, f in (('alexnet', 'alexnet-owt-7be5be79.pth'), ('vgg16', 'vgg16-397923af.pth')):
            sd = dict(load_weights(net))   # the classifier is not used by LPIPS/DISTS: zeros make torchvision's state dict complete
            for i, (o, n) in heads[net].items(): sd[f'classifier.{{i}}.weight'], sd[f'classifier.{{i}}.bias'] = torch.zeros(o, n), torch.zeros(o)
            torch.save(sd, hub/'checkpoints'/f)
        for net, f in (('alex', 'LPIPS_v0.1_alex-df73285e.pth'), ('vgg', 'LPIPS_v0.1_vgg-a78928a0.pth')):
            lin = load_weights('lpips_' + net); torch.save({{f'lin{{i}}.model.1.weight': lin[f'lin{{i}}.weight'] for i in range(5)}}, hub/'pyiqa'/f)
        torch.save(dict(load_weights('dists')), hub/'pyiqa'/'DISTS_weights-f5e65c96.pth')
        import pyiqa
        theirs = dict(alex=pyiqa.create_metric('lpips', device='cpu'), vgg=pyiqa.create_metric('lpips-vgg', device='cpu'),
                      dists=pyiqa.create_metric('dists', device='cpu'))
        ours = dict(alex=LPIPS('alex'), vgg=LPIPS('vgg'), dists=DISTS())
        ds = tno_datasets(hr_size=None)[1] if tno_root() else SyntheticIRDataset(4, 128, seed=3, augment=False)
        diffs = {{k: [] for k in ours}}
        for i in range(0, len(ds), max(1, len(ds) // 4)):
            sr, hr = [(to_uint8_levels(t) / 255).float() for t in (bicubic_upscale(ds[i]['lr'][None]), ds[i]['hr'][None])]
            with torch.no_grad():
                for k in ours: diffs[k].append(abs(theirs[k](to_rgb(sr), to_rgb(hr)).item() - ours[k](sr, hr).item()))
        print(json.dumps({{k: max(v) for k, v in diffs.items()}}))
    ''')
    env = dict(os.environ, TORCH_HOME=str(tmp_path), HF_HUB_OFFLINE='1')
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    worst = json.loads(r.stdout.strip().splitlines()[-1])
    assert all(v < 1e-5 for v in worst.values()), worst


def test_differentiable_without_gradients_into_the_networks(nets):
    x = torch.rand(2, 1, 40, 40, requires_grad=True); y = torch.rand(2, 1, 40, 40)
    sum(n(x, y).sum() for n in nets.values()).backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert all(not p.requires_grad and p.grad is None for n in nets.values() for p in n.parameters())
    for n in nets.values():                      # a distance: zero for identical images, grows with the distortion
        g = torch.Generator().manual_seed(1)
        d0, d1, d2 = [n((y + s * torch.randn(y.shape, generator=g)).clamp(0, 1), y).mean().item() for s in (0.0, 0.02, 0.2)]
        assert abs(d0) < 1e-5 and d0 < d1 < d2


def test_peer_forward_by_hand(weights):
    "SRVGGNetCompact against F.conv2d, PReLU as max(0,x) + a·min(0,x) and a pixel shuffle written as reshape/permute."
    peer, sd = RealESRGANPeer(), load_weights('realesrgan')
    assert sum(p.numel() for p in peer.parameters()) == sum(v.numel() for v in sd.values()) == 1_213_296
    x = torch.rand(2, 3, 9, 11, generator=torch.Generator().manual_seed(0))
    h = x
    for i in range(0, 66, 2):
        h = F.conv2d(h, sd[f'body.{i}.weight'], sd[f'body.{i}.bias'], padding=1)
        a = sd[f'body.{i + 1}.weight'].view(1, -1, 1, 1)
        h = h.clamp(min=0) + a * h.clamp(max=0)
    h = F.conv2d(h, sd['body.66.weight'], sd['body.66.bias'], padding=1)
    B, _, hh, ww = h.shape
    ref = h.view(B, 3, 4, 4, hh, ww).permute(0, 1, 4, 2, 5, 3).reshape(B, 3, 4 * hh, 4 * ww) + x.repeat_interleave(4, -2).repeat_interleave(4, -1)
    with torch.no_grad(): assert (peer.net(x) - ref).abs().max() < 1e-5
    grey = torch.rand(1, 1, 8, 8)                # the thermal wrapper: grey in as RGB, the channel mean out
    with torch.no_grad(): assert torch.allclose(peer(grey), peer.net(grey.repeat(1, 3, 1, 1)).mean(1, keepdim=True))


def test_tno_lpips_reproduces_the_measured_table(weights, tno):
    "LPIPS-alex of bicubic and Real-ESRGAN on the held-out TNO split (8-bit levels, whole frames), as first measured: ±0.003."
    ds, peer = tno_datasets(hr_size=None)[1], RealESRGANPeer()
    got = {}
    for name, fn in (('bicubic', bicubic_upscale), ('peer', peer.super_resolve)):
        for r in evaluate_pairs(fn, ds, extra_metrics=('lpips',)).mean('kind'): got[name, r['kind']] = (r['psnr'], r['lpips'])
    expected = {('bicubic', 'defocus'): (27.89, 0.482), ('bicubic', 'motion'): (29.37, 0.417),
                ('peer', 'defocus'): (26.40, 0.413), ('peer', 'motion'): (27.38, 0.370)}
    for k, (p, l) in expected.items():
        assert abs(got[k][0] - p) < 0.006 and abs(got[k][1] - l) <= 0.003, (k, got[k])


def test_without_weights_one_clear_line(tmp_path, monkeypatch):
    "No weights anywhere: the metrics say which file is missing and where to put it; tables and the peer row still work or stay out."
    monkeypatch.setattr(metrics, 'weights_dirs', lambda: [])
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path/'hub'))
    monkeypatch.setenv('REALIISR_CACHE', str(tmp_path/'cache'))
    monkeypatch.setenv('HF_HUB_CACHE', str(tmp_path/'hf'))
    monkeypatch.setattr(metrics, '_IQA_CACHE', {})
    for m in ('lpips', 'lpips-vgg', 'dists', 'musiq', 'maniqa'):
        v = iqa_metric(m)
        assert isinstance(v, str) and v.startswith('not available:') and '\n' not in v
    assert 'alexnet_imagenet_features.safetensors' in iqa_metric('lpips') and '../shared/weights' in iqa_metric('lpips')
    with pytest.raises(WeightsNotFound, match='realesr-general-x4v3'): RealESRGANPeer()
    t = evaluate_pairs(bicubic_upscale, SyntheticIRDataset(2, 32, seed=0))
    assert all(r['lpips'].startswith('not available') for r in t.rows) and isinstance(t.rows[0]['psnr'], float)
    from realiisr_lite.evaluate import sr_methods, PEER_NAME
    assert PEER_NAME not in sr_methods() and 'bicubic' in sr_methods()
    with pytest.raises(WeightsNotFound): sr_methods(peer=True)


def test_weights_resolution_order(weights, tmp_path, monkeypatch):
    "An explicit path first, then $REALIISR_WEIGHTS, then the shared folder; a corrupt file is a clear error."
    bad = tmp_path/'w'; bad.mkdir(); (bad/'lpips_v0.1_alex_lin.safetensors').write_bytes(b'not a safetensors file')
    monkeypatch.setenv('REALIISR_WEIGHTS', str(bad))
    assert find_weights('lpips_alex') == bad/'lpips_v0.1_alex_lin.safetensors'
    assert find_weights('lpips_alex', weights['lpips_alex']) == weights['lpips_alex']
    with pytest.raises(ValueError, match='not a readable'): load_weights('lpips_alex')
    assert find_weights('dists') == weights['dists']          # not in the env folder: the shared one
    with pytest.raises(WeightsNotFound, match='not found'): find_weights('dists', tmp_path/'nope.safetensors')


def test_eval_without_weights_says_so_in_one_line(tmp_path):
    "`realiisr-lite eval` on a machine without ../shared/weights: the table without LPIPS/DISTS and the peer, one line saying why."
    data = tmp_path/'elsewhere'/'data'; data.mkdir(parents=True)           # a shared-data folder with no weights beside it
    env = dict(os.environ, REALIISR_SHARED_DATA=str(data), TORCH_HOME=str(tmp_path/'th'), REALIISR_CACHE=str(tmp_path/'c'),
               HF_HUB_CACHE=str(tmp_path/'hf'))
    env.pop('REALIISR_WEIGHTS', None)
    r = subprocess.run([sys.executable, '-m', 'realiisr_lite.cli', 'eval', '--no-model', '--data', 'synthetic', '--max-items', '2',
                        '--out', str(tmp_path/'out')], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    lines = [l for l in r.stdout.splitlines() if l.startswith('perceptual metrics not available')]
    assert len(lines) == 1 and 'lpips' in lines[0] and 'dists' in lines[0] and '../shared/weights' in lines[0]
    assert 'Real-ESRGAN' not in r.stdout and 'bicubic' in r.stdout
    assert not (tmp_path/'out'/'perception_distortion.png').exists() and (tmp_path/'out'/'report.md').exists()
