"Thermal-Structural Guidance: maps against hand computations, gate and fusion identities, attention invariances."
import math
import numpy as np
import pytest
import torch
from realiisr_lite.tsg import (heat_map, edge_map, MapEncoder, GatedFusion, CrossAttention, ThermalStructuralGuidance,
                               TimmMapEncoder, WeightsNotOnDiskError, timm_weights_on_disk, timm_weight_locations)


def test_heat_map_by_hand():
    rng = np.random.default_rng(0)
    a = rng.random((3, 1, 10, 12))
    for k in (1.0, 3.0):
        z = (a - a.mean((2, 3), keepdims=True)) / (a.std((2, 3), keepdims=True) + 1e-3)
        expected = 1 / (1 + np.exp(-k * z))
        got = heat_map(torch.from_numpy(a).float(), k=k).double().numpy()
        assert np.abs(got - expected).max() < 1e-5
    # one pixel one population-std above the mean of a two-valued image: sigmoid(3 * 1) exactly (up to eps)
    x = torch.zeros(1, 1, 2, 2); x[..., 0, :] = 1.           # mean 0.5, std 0.5 -> z = +-1
    assert abs(heat_map(x, eps=0)[0, 0, 0, 0].item() - 1 / (1 + math.exp(-3))) < 1e-6


@pytest.mark.parametrize('value', [0.0, 0.3, 0.7, 1.0])
def test_maps_constant_and_saturated(value):
    flat = torch.full((2, 1, 128, 128), value)
    assert torch.allclose(heat_map(flat), torch.full_like(flat, 0.5), atol=1e-4)
    assert edge_map(flat).max() < 1e-5 and torch.isfinite(edge_map(flat)).all()


def _naive_edge(img, kx):
    h, w = img.shape
    out = np.zeros((h, w))
    for i in range(h):
        for j in range(w):
            gx = gy = 0.
            for di in (-1, 0, 1):
                for dj in (-1, 0, 1):
                    v = img[min(max(i + di, 0), h - 1), min(max(j + dj, 0), w - 1)]
                    gx += kx[di + 1][dj + 1] * v
                    gy += kx[dj + 1][di + 1] * v
            out[i, j] = math.sqrt(gx * gx + gy * gy)
    return out


@pytest.mark.parametrize('operator, kx', [('sobel', [[-.25, 0, .25], [-.5, 0, .5], [-.25, 0, .25]]),
                                          ('scharr', [[-3/16, 0, 3/16], [-10/16, 0, 10/16], [-3/16, 0, 3/16]])])
def test_edge_map_against_naive_loop(operator, kx):
    img = torch.rand(1, 1, 9, 14, generator=torch.Generator().manual_seed(1))
    got = edge_map(img, operator)[0, 0].double().numpy()
    assert got.shape == (9, 14)
    assert np.abs(got - _naive_edge(img[0, 0].double().numpy(), kx)).max() < 1e-6


def test_edge_map_unit_step_and_bad_operator():
    step = torch.zeros(1, 1, 6, 6); step[..., 3:] = 1.
    e = edge_map(step)[0, 0]
    assert torch.allclose(e[:, 2:4], torch.ones(6, 2), atol=1e-5) and e[:, :2].max() < 1e-5 and e[:, 4:].max() < 1e-5
    with pytest.raises(ValueError, match='operator'): edge_map(step, 'laplace')


@pytest.mark.parametrize('lr_size, grid, n_down', [(16, 16, 0), (128, 32, 2), (64, 16, 2), (40, 16, 1)])
def test_map_encoder_shapes(lr_size, grid, n_down):
    enc = MapEncoder(16, lr_size, grid)
    assert enc.n_down == n_down
    assert sum(1 for m in enc.net if isinstance(m, torch.nn.Conv2d) and m.stride == (2, 2)) == n_down
    assert enc(torch.rand(2, 1, lr_size, lr_size)).shape == (2, 16, grid, grid)


@pytest.mark.parametrize('fusion, scale', [('paper', 1.0), ('released', 2.0)])
def test_gate_range_and_fusion_identities(fusion, scale):
    torch.manual_seed(0)
    gf = GatedFusion(16, 4, fusion).train()
    Fh, Fe = 3 * torch.randn(1, 16, 6, 6), 3 * torch.randn(1, 16, 6, 6)
    fused, W = gf(Fh, Fe)
    assert W.shape == Fh.shape and ((W > 0) & (W < 1)).all()
    assert torch.allclose(fused, scale * (Fh * W + Fe * (1 - W)), atol=1e-6)
    same, _ = gf(Fh, Fh)
    assert torch.allclose(same, scale * Fh, atol=1e-5)


def test_gate_parameter_count_by_hand():
    D, r = 32, 4
    h = D // r
    branch = (D * h + h) + 2 * h + (h * D + D) + 2 * D
    assert sum(p.numel() for p in GatedFusion(D, r).parameters()) == 2 * branch


def test_cross_attention_against_formula_and_invariances():
    torch.manual_seed(0)
    attn = CrossAttention(24, 3)
    q, kv = torch.randn(2, 7, 24), torch.randn(2, 11, 24)
    with torch.no_grad():
        out = attn(q, kv)
        Q = attn.to_q(attn.norm_q(q)).reshape(2, 7, 3, 8).transpose(1, 2)
        K, V = attn.to_kv(attn.norm_kv(kv)).reshape(2, 11, 2, 3, 8).permute(2, 0, 3, 1, 4)
        P = torch.softmax(Q @ K.transpose(-1, -2) / math.sqrt(8), -1)
        ref = attn.proj((P @ V).transpose(1, 2).reshape(2, 7, 24))
        assert torch.allclose(out, ref, atol=1e-5)
        perm = torch.randperm(11)
        assert torch.allclose(attn(q, kv[:, perm]), out, atol=1e-5)          # keys/values are a set
        permq = torch.randperm(7)
        assert torch.allclose(attn(q[:, permq], kv), out[:, permq], atol=1e-5)


@pytest.mark.parametrize('D, lr_size, grid, fusion', [(32, 16, 16, 'released'), (32, 128, 32, 'paper'), (16, 64, 32, 'released')])
def test_tsg_shapes_and_maps(D, lr_size, grid, fusion):
    tsg = ThermalStructuralGuidance(D, lr_size, grid, num_heads=4, fusion=fusion)
    lr, cond = torch.rand(2, 1, lr_size, lr_size), torch.randn(2, grid * grid, D)
    out = tsg(lr, cond)
    assert out.shape == cond.shape
    out2, maps = tsg(lr, cond, return_maps=True)
    assert torch.allclose(out, out2)
    assert maps['heat'].shape == maps['edge'].shape == (2, 1, lr_size, lr_size)
    for k in ('W', 'F_fused', 'F_heat', 'F_edge'): assert maps[k].shape == (2, D, grid, grid)
    assert ((maps['W'] > 0) & (maps['W'] < 1)).all()


@pytest.mark.parametrize('value', [0.4, 1.0])
def test_tsg_no_nan_on_flat_images_batch_of_one(value):
    torch.manual_seed(0)
    tsg = ThermalStructuralGuidance(16, 16, 16).train()
    lr = torch.full((1, 1, 16, 16), value)
    out, maps = tsg(lr, torch.randn(1, 256, 16), return_maps=True)
    assert torch.isfinite(out).all() and all(torch.isfinite(v).all() for v in maps.values())
    out.square().mean().backward()
    assert all(torch.isfinite(p.grad).all() for p in tsg.parameters() if p.grad is not None)


def test_tsg_bad_options():
    with pytest.raises(ValueError, match='fusion'): ThermalStructuralGuidance(16, 16, 16, fusion='sum')
    with pytest.raises(ValueError, match='encoder'): ThermalStructuralGuidance(16, 16, 16, encoder='dino')
    with pytest.raises(ValueError, match='timm_model'): ThermalStructuralGuidance(16, 16, 16, encoder='timm')


@pytest.mark.parametrize('name, kw', [('resnet10t', None), ('vit_tiny_patch16_224', dict(img_size=16, patch_size=4, depth=1))])
def test_tsg_with_timm_encoder(name, kw):
    tsg = ThermalStructuralGuidance(16, 16, 16, encoder='timm', timm_model=name, timm_kwargs=kw)
    out, maps = tsg(torch.rand(2, 1, 16, 16), torch.randn(2, 256, 16), return_maps=True)
    assert out.shape == (2, 256, 16) and maps['F_heat'].shape == (2, 16, 16, 16)


@pytest.fixture
def empty_caches(tmp_path, monkeypatch):
    monkeypatch.setenv('HF_HUB_CACHE', str(tmp_path/'hf'))
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path/'torch_hub'))
    return tmp_path


def test_pretrained_missing_weights_raise_clear_error(empty_caches):
    assert timm_weights_on_disk('resnet10t') is None
    with pytest.raises(WeightsNotOnDiskError, match='not on disk') as e:
        TimmMapEncoder(16, 16, 'resnet10t', pretrained=True)
    assert str(empty_caches/'hf'/'models--timm--resnet10t.c3_in1k') in str(e.value)


def test_pretrained_weights_loaded_from_hf_cache(empty_caches):
    import timm
    from safetensors.torch import save_file
    src = timm.create_model('resnet10t', pretrained=False)              # stands in for the published RGB weights
    snap = empty_caches/'hf'/'models--timm--resnet10t.c3_in1k'/'snapshots'/'0123abc'
    snap.mkdir(parents=True)
    save_file({k: v.contiguous() for k, v in src.state_dict().items()}, str(snap/'model.safetensors'))
    assert timm_weights_on_disk('resnet10t') == snap/'model.safetensors'
    assert timm_weight_locations('resnet10t')[0] == empty_caches/'hf'/'models--timm--resnet10t.c3_in1k'
    enc = TimmMapEncoder(16, 8, 'resnet10t', pretrained=True)
    # timm folds the RGB stem into one input channel by summing; every other weight is copied as is
    assert torch.allclose(enc.backbone.conv1[0].weight, src.conv1[0].weight.sum(1, keepdim=True))
    assert torch.equal(enc.backbone.layer4[0].conv1.weight, src.layer4[0].conv1.weight)
