"""The `released` options compute what the authors' released code computes (issue 11), one test group per item.

Every expected value is worked out by hand in the comments or by an independent small computation here
(NumPy, exact fractions, BatchNorm written out); none is taken from the authors' code.
"""
import math
from fractions import Fraction
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from realiisr_lite.losses import toc_loss, ThermalOrderConsistencyLoss
from realiisr_lite.tsg import heat_map, edge_map, GatedFusion, CrossAttention, ThermalStructuralGuidance
from realiisr_lite.cac import ConditionAdaptiveCodebook
from realiisr_lite.vqvae import PhiPartiallyShared


def from_patches(values, patch_size=8):
    return torch.tensor(values, dtype=torch.float32).repeat_interleave(patch_size, 0).repeat_interleave(patch_size, 1)[None, None]


# ---------------------------------------------------------------- 1. TOC: a neighbour outside the grid is the patch itself

def test_toc_2x2_released_border_by_hand():
    # HR [[0.2, 0.8], [0.4, 0.6]], SR with the top row swapped. The six in-grid pairs (SR diff, HR diff, term):
    # TL-TR (0.6, -0.6, 0.36), BL-BR (-0.2, -0.2, 0), TL-BL (0.4, -0.2, 0.08), TR-BR (-0.4, 0.2, 0.08),
    # TL-BR (0.2, -0.4, 0.08), TR-BL (-0.2, 0.4, 0.08): sum 0.68. Released: each pair from both ends, 8 offsets per
    # patch, the 5 offsets of each patch that leave the grid meet the patch itself (0): 2 * 0.68 / 8 = 0.17.
    hr, sr = from_patches([[0.2, 0.8], [0.4, 0.6]]), from_patches([[0.8, 0.2], [0.4, 0.6]])
    assert toc_loss(sr, hr, neighbours=8, reduction='released').item() == pytest.approx(0.17, abs=1e-6)
    # replicated border: the four diagonal offsets that leave the grid along one axis meet a straight neighbour again:
    # top pair twice (2 * 0.36), left and right vertical pairs twice each (4 * 0.08): (1.36 + 0.72 + 0.32) / 8
    assert toc_loss(sr, hr, neighbours=8, reduction='released', border='replicate').item() == pytest.approx(0.30, abs=1e-6)
    # 4 neighbours: both rules agree (a straight offset leaving the grid meets the patch itself either way): 2 * 0.52 / 4
    for border in ('self', 'replicate'):
        assert toc_loss(sr, hr, neighbours=4, reduction='released', border=border).item() == pytest.approx(0.26, abs=1e-6)


def test_toc_3x3_released_border_by_hand():
    # HR columns 0.2, 0.5, 0.8 in every row; SR equal to HR except the top-middle patch (0, 1) = 0.9.
    # Valid pairs (HR gap >= 0.1): 6 horizontal + 8 diagonal = 14 (vertical pairs have HR gap 0).
    # Only pairs with (0, 1) can be inverted (elsewhere the product is d_HR^2 >= 0):
    #   (0,0)-(0,1): (0.2-0.9)(0.2-0.5) = +0.21 -> 0     (0,1)-(0,2): (0.9-0.8)(0.5-0.8) = -0.03 -> 0.03
    #   (0,1)-(1,0): (0.9-0.2)(0.5-0.2) = +0.21 -> 0     (0,1)-(1,2): (0.9-0.8)(0.5-0.8) = -0.03 -> 0.03
    # in-grid sum 0.06: mean = 0.06 / 14, released = 2 * 0.06 / 8 = 0.015.
    hr = from_patches([[0.2, 0.5, 0.8]] * 3)
    sr = from_patches([[0.2, 0.9, 0.8], [0.2, 0.5, 0.8], [0.2, 0.5, 0.8]])
    assert toc_loss(sr, hr, neighbours=8).item() == pytest.approx(0.06 / 14, abs=1e-6)
    assert toc_loss(sr, hr, neighbours=8, reduction='released').item() == pytest.approx(0.015, abs=1e-6)
    # replicated border adds the diagonal border terms that land on (0, 1)'s straight neighbours or on (0, 1):
    #   patch (0,1), offset (-1,+1) -> replicated to (0,2): 0.03;  patch (0,2), offset (-1,-1) -> (0,1): 0.03
    #   (patch (0,0), offset (-1,+1) -> (0,1) has term 0; (0,1), offset (-1,-1) -> (0,0) has term 0)
    # (2 * 0.06 + 0.06) / 8 = 0.0225
    assert toc_loss(sr, hr, neighbours=8, reduction='released', border='replicate').item() == pytest.approx(0.0225, abs=1e-6)


@pytest.mark.parametrize('neighbours', [4, 8])
def test_toc_released_is_mean_times_valid_pairs(neighbours):
    g = torch.Generator().manual_seed(11)
    sr, hr = torch.rand(3, 1, 8, 12, generator=g), torch.rand(3, 1, 8, 12, generator=g)      # 2×2 patches: a 4×6 grid
    P = F.avg_pool2d(hr, 2)[:, 0]
    steps = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if neighbours == 8 else [])
    n_valid = sum(int(abs(P[b, y, x] - P[b, y + dy, x + dx]) >= 0.1)
                  for b in range(3) for y in range(4) for x in range(6) for dy, dx in steps
                  if 0 <= y + dy < 4 and 0 <= x + dx < 6)
    released = toc_loss(sr, hr, patch_size=2, neighbours=neighbours, reduction='released')
    mean = toc_loss(sr, hr, patch_size=2, neighbours=neighbours)
    assert n_valid > 50 and mean > 0
    assert released.item() == pytest.approx(mean.item() * 2 * n_valid / (neighbours * 3), rel=1e-5)


def test_toc_border_option_errors_and_module():
    hr, sr = from_patches([[0.2, 0.8], [0.4, 0.6]]), from_patches([[0.8, 0.2], [0.4, 0.6]])
    with pytest.raises(ValueError, match='border must be'): toc_loss(sr, hr, reduction='released', border='zeros')
    with pytest.raises(ValueError, match="reduction='released'"): toc_loss(sr, hr, border='replicate')
    m = ThermalOrderConsistencyLoss(reduction='released', border='replicate')
    assert m(sr, hr).item() == pytest.approx(0.30, abs=1e-6) and "border='replicate'" in repr(m)


# ---------------------------------------------------------------- 2. heat map: eps 1e-5 on [-1, 1], unbiased std

def test_heat_map_released_on_low_contrast_image():
    rng = np.random.default_rng(2)
    x = torch.from_numpy(0.45 + 0.004 * rng.random((2, 1, 12, 10))).float()   # std about 1e-3: a quarter of a grey level
    a = x.double().numpy()
    m = 2 * a - 1                                                # the released code's input range
    z = (m - m.mean((2, 3), keepdims=True)) / (m.std((2, 3), ddof=1, keepdims=True) + 1e-5)
    expected = 1 / (1 + np.exp(-3 * z))
    assert np.abs(heat_map(x, released=True).double().numpy() - expected).max() < 1e-4      # float32 arithmetic
    assert np.abs(heat_map(x, eps=5e-6, unbiased=True).double().numpy() - expected).max() < 1e-4
    ours = 1 / (1 + np.exp(-3 * (a - a.mean((2, 3), keepdims=True)) / (a.std((2, 3), keepdims=True) + 1e-3)))
    assert np.abs(heat_map(x).double().numpy() - ours).max() < 1e-4          # the default is unchanged
    assert np.abs(expected - ours).max() > 0.05                              # and differs here


# ---------------------------------------------------------------- 3. Sobel: zero padding of the [-1, 1] image, scale

def _released_sobel_numpy(img01):
    "Raw Sobel weights (1, 2, 1) on 2x - 1, zero padding, magnitude: a plain loop over pixels."
    x = np.pad(2 * img01 - 1, 1)
    kx = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]]); ky = kx.T
    h, w = img01.shape
    out = np.zeros((h, w))
    for i in range(h):
        for j in range(w):
            win = x[i:i + 3, j:j + 3]
            out[i, j] = math.hypot((kx * win).sum(), (ky * win).sum())
    return out


def test_edge_map_released_border_pixels_by_hand():
    # white frame (1 -> +1): a side pixel sees one row/column of zeros: |g| = 1 + 2 + 1 = 4; a corner: gx = gy = 3
    for value, side, corner in [(1.0, 4.0, 3 * math.sqrt(2)), (0.0, 4.0, 3 * math.sqrt(2)), (0.5, 0.0, 0.0)]:
        e = edge_map(torch.full((1, 1, 5, 7), value), released=True)[0, 0]
        assert torch.allclose(e[1:-1, 1:-1], torch.zeros(3, 5), atol=1e-5)
        for border in (e[0, 1:-1], e[-1, 1:-1], e[1:-1, 0], e[1:-1, -1]):
            assert torch.allclose(border, torch.full_like(border, side), atol=1e-5)
        assert torch.allclose(e[[0, 0, -1, -1], [0, -1, 0, -1]], torch.full((4,), corner), atol=1e-5)
        assert edge_map(torch.full((1, 1, 5, 7), value)).max() < 1e-5              # ours: no border edge


def test_edge_map_released_matches_loop_and_is_eight_times_ours_inside():
    img = np.random.default_rng(3).random((9, 11))
    x = torch.from_numpy(img).float()[None, None]
    assert np.abs(edge_map(x, released=True)[0, 0].double().numpy() - _released_sobel_numpy(img)).max() < 1e-4
    assert np.abs(edge_map(x, border='zeros', scale=8.)[0, 0].double().numpy() - _released_sobel_numpy(img)).max() < 1e-4
    assert torch.allclose(edge_map(x, released=True)[..., 1:-1, 1:-1], 8 * edge_map(x)[..., 1:-1, 1:-1], atol=1e-5)
    with pytest.raises(ValueError, match='border must be'): edge_map(x, border='reflect')


# ---------------------------------------------------------------- 4. gated fusion with BatchNorm (AFF)

def _fused_by_hand(gf, Fh, Fe, train):
    def bn(y, m):
        mu, var = (y.mean((0, 2, 3)), y.var((0, 2, 3), unbiased=False)) if train else (m.running_mean, m.running_var)
        return (y - mu[:, None, None]) / (var[:, None, None] + m.eps).sqrt() * m.weight[:, None, None] + m.bias[:, None, None]
    def branch(seq, a):
        c1, n1, _, c2, n2 = seq
        return bn(F.conv2d(torch.relu(bn(F.conv2d(a, c1.weight, c1.bias), n1)), c2.weight, c2.bias), n2)
    A = Fh + Fe
    W = torch.sigmoid(branch(gf.local, A) + branch(gf.glob, A.mean((2, 3), keepdim=True)))
    return 2 * Fh * W + 2 * Fe * (1 - W)


def test_fusion_batchnorm_train_and_eval_by_hand():
    torch.manual_seed(4)
    gf = GatedFusion(12, 4, 'released', norm='batch')
    assert sum(isinstance(m, nn.BatchNorm2d) for m in gf.modules()) == 4
    assert not any(isinstance(m, nn.GroupNorm) for m in gf.modules())
    Fh, Fe = torch.randn(3, 12, 5, 5), torch.randn(3, 12, 5, 5)
    with torch.no_grad():
        for m in gf.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5); m.bias.normal_(); m.running_mean.normal_(); m.running_var.uniform_(0.5, 2.)
        assert torch.allclose(gf.eval()(Fh, Fe)[0], _fused_by_hand(gf, Fh, Fe, False), atol=1e-5)
        assert torch.allclose(gf.train()(Fh, Fe)[0], _fused_by_hand(gf, Fh, Fe, True), atol=1e-5)
    with pytest.raises(ValueError, match='at least 2'): gf.train()(Fh[:1], Fe[:1])
    with pytest.raises(ValueError, match='norm must be'): GatedFusion(12, norm='layer')


# ---------------------------------------------------------------- 5. cross-attention without LayerNorm / positions

def test_cross_attention_without_norm_is_plain_attention():
    torch.manual_seed(5)
    attn = CrossAttention(16, 2, norm=False)
    q, kv = torch.randn(2, 6, 16), torch.randn(2, 9, 16)
    with torch.no_grad():
        Q = attn.to_q(q).reshape(2, 6, 2, 8).transpose(1, 2)
        K, V = attn.to_kv(kv).reshape(2, 9, 2, 2, 8).permute(2, 0, 3, 1, 4)
        out = (Q @ K.transpose(-1, -2) / math.sqrt(8)).softmax(-1) @ V
        ref = attn.proj(out.transpose(1, 2).reshape(2, 6, 16))
        assert torch.allclose(attn(q, kv), ref, atol=1e-5)
    assert not any(isinstance(m, nn.LayerNorm) for m in attn.modules())


def test_tsg_released_options():
    from realiisr_lite.tsg import TSG_RELEASED
    tsg = ThermalStructuralGuidance(16, 16, 8, num_heads=2, **TSG_RELEASED)
    assert tsg.pos_kv is None and not any(isinstance(m, nn.LayerNorm) for m in tsg.cross_attention.modules())
    assert isinstance(tsg.fusion.local[1], nn.BatchNorm2d) and tsg.fusion.scale == 2.0
    lr = torch.rand(2, 1, 16, 16)
    heat, edge = tsg.maps(lr)
    assert torch.equal(heat, heat_map(lr, released=True)) and torch.equal(edge, edge_map(lr, released=True))
    ours = ThermalStructuralGuidance(16, 16, 8, num_heads=2)                  # defaults unchanged
    assert ours.pos_kv is not None and isinstance(ours.cross_attention.norm_q, nn.LayerNorm)
    assert isinstance(ours.fusion.local[1], nn.GroupNorm)
    assert torch.equal(ours.maps(lr)[0], heat_map(lr)) and torch.equal(ours.maps(lr)[1], edge_map(lr))


# ---------------------------------------------------------------- 6. CAC: released h(g) and initialisation

def test_cac_released_offset_scale_at_init():
    # an offset entry is sum_k U_ik h_k V_ck; with U, V ~ 0.02 N(0, 1) its std is 0.02^2 ||h||, with ours ||h|| / sqrt(r)
    torch.manual_seed(6)
    h = torch.randn(3, 8)
    stds = {}
    for variant in ('ours', 'released'):
        cac = ConditionAdaptiveCodebook(4096, 256, 24, rank=8, variant=variant)   # many codes and channels: sample std ≈ std
        stds[variant] = torch.einsum('vr,br,cr->bvc', cac.U, h, cac.V).std((1, 2))
    assert torch.allclose(stds['released'], 0.02**2 * h.norm(dim=1), rtol=0.2)
    assert torch.allclose(stds['ours'], h.norm(dim=1) / math.sqrt(8), rtol=0.2)
    assert 700 < (stds['ours'] / stds['released']).mean() < 1100                # 1 / (0.02^2 sqrt(8)) = 884


def test_cac_released_condition_by_hand():
    torch.manual_seed(7)
    cac = ConditionAdaptiveCodebook(20, 6, 16, rank=4, variant='released')
    lin1, lin2 = cac.mlp[1], cac.mlp[3]
    assert (lin1.in_features, lin1.out_features, lin2.out_features) == (16, 16, 4)          # C -> 4r -> r
    assert lin1.bias.abs().max() == 0 and abs(lin1.weight.std().item() - math.sqrt(1 / 48)) < 0.3 * math.sqrt(1 / 48)
    prefix = torch.randn(3, 5, 16)
    with torch.no_grad():
        cac.shift.normal_()
        def by_hand(shift):
            g = prefix.mean(1) + shift
            g = (g - g.mean(1, keepdim=True)) / (g.var(1, unbiased=False, keepdim=True) + 1e-5).sqrt()
            a = g * torch.sigmoid(g)
            a = a @ lin1.weight.T + lin1.bias
            a = a * torch.sigmoid(a)
            return a @ lin2.weight.T + lin2.bias
        assert torch.allclose(cac.eval().condition(prefix), by_hand(0.), atol=1e-5)        # inference: no shift
        assert torch.allclose(cac.train().condition(prefix), by_hand(cac.shift), atol=1e-5)  # training: + mean(pos_start)
    Z = torch.randn(20, 6)
    assert torch.equal(cac(Z, prefix), Z[None].expand(3, -1, -1))                          # tanh(0) = 0
    assert ConditionAdaptiveCodebook(20, 6, 16, variant='released', train_shift=False).shift is None


def test_cac_ours_unchanged_state_dict_keys():
    cac = ConditionAdaptiveCodebook(20, 6, 16)
    assert set(cac.state_dict()) == {'U', 'V', 'alpha', 'mlp.0.weight', 'mlp.0.bias', 'mlp.2.weight', 'mlp.2.bias'}
    with pytest.raises(ValueError, match='variant'): ConditionAdaptiveCodebook(20, 6, 16, variant='paper')


# ---------------------------------------------------------------- 7. VAR's phi ticks for K != 4

def _var_ticks(K):
    "VAR's ticks as exact fractions: K = 4 spans [1/(3K), 1 - 1/(3K)], any other K the centres (2j + 1) / (2K)."
    if K == 4: return [Fraction(1, 12) + j * Fraction(10, 36) for j in range(4)]
    return [Fraction(2 * j + 1, 2 * K) for j in range(K)]


@pytest.mark.parametrize('K', [2, 3, 4, 5, 6, 8])
def test_phi_ticks_match_var_where_the_nearest_tick_is_unique(K):
    pps = PhiPartiallyShared(4, K)
    ticks, checked = _var_ticks(K), 0
    for n in range(2, 21):
        for si in range(n):
            d = sorted((abs(t - Fraction(si, n - 1)), j) for j, t in enumerate(ticks))
            if d[0][0] == d[1][0]: continue                   # an exact tie: float64 rounding decides, as in VAR
            assert pps.index_for(si, n) == d[0][1], (K, n, si)
            checked += 1
    assert checked > 100


def test_phi_ticks_k4_unchanged_and_k3_differs_from_before():
    assert [PhiPartiallyShared(4, 4).index_for(k, 10) for k in range(10)] == [0, 0, 1, 1, 1, 2, 2, 3, 3, 3]
    # K = 3, 14 scales, scale 4 sits at 4/13 = 0.308: ticks 1/6, 1/2, 5/6 -> nearest 1/6 (0.141 < 0.192); the old
    # ticks 1/9, 1/2, 8/9 picked 1/2 (0.192 < 0.197)
    assert PhiPartiallyShared(4, 3).index_for(4, 14) == 0
