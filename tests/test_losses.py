"Thermal Order Consistency loss and the combined objective: hand-computed values, brute force, invariances, gradients."
import itertools
import pytest
import torch
import torch.nn.functional as F
from realiisr_lite.losses import toc_loss, total_loss, ThermalOrderConsistencyLoss

STRAIGHT = [(0, 1), (0, -1), (1, 0), (-1, 0)]
DIAGONAL = [(1, 1), (1, -1), (-1, 1), (-1, -1)]


def brute_force_toc(sr, hr, patch_size=8, neighbours=8, min_hr_gap=0.1, reduction='mean', border='self'):
    "Double loop over patches and their neighbours, with plain Python floats."
    B = sr.shape[0]
    Ps = F.avg_pool2d(sr.double(), patch_size)[:, 0].tolist()
    Ph = F.avg_pool2d(hr.double(), patch_size)[:, 0].tolist()
    gh, gw = len(Ps[0]), len(Ps[0][0])
    offsets = STRAIGHT + (DIAGONAL if neighbours == 8 else [])
    if reduction == 'mean':                 # every unordered pair of neighbours once, mean over valid pairs of the batch
        total, count = 0., 0
        for b in range(B):
            cells = [(y, x) for y in range(gh) for x in range(gw)]
            for (y, x), (v, u) in itertools.combinations(cells, 2):
                if (v - y, u - x) not in offsets: continue
                d_hr = Ph[b][y][x] - Ph[b][v][u]
                if abs(d_hr) < min_hr_gap: continue
                total += max(0., -(Ps[b][y][x] - Ps[b][v][u]) * d_hr); count += 1
        return total / max(count, 1)
    total = 0.                              # released: per patch, mean over offsets; sum; batch mean
    for b in range(B):
        for y in range(gh):
            for x in range(gw):
                acc = 0.
                for dy, dx in offsets:
                    v, u = y + dy, x + dx
                    if border == 'self' and not (0 <= v < gh and 0 <= u < gw): continue   # meets itself: 0
                    v, u = min(max(v, 0), gh - 1), min(max(u, 0), gw - 1)                 # 'replicate'
                    d_hr = Ph[b][y][x] - Ph[b][v][u]
                    if abs(d_hr) < min_hr_gap: continue
                    acc += max(0., -(Ps[b][y][x] - Ps[b][v][u]) * d_hr)
                total += acc / len(offsets)
    return total / B


def from_patches(values, patch_size=8):
    return torch.tensor(values, dtype=torch.float32).repeat_interleave(patch_size, 0).repeat_interleave(patch_size, 1)[None, None]


HR_2x2 = from_patches([[0.2, 0.8], [0.4, 0.6]])
SR_2x2 = from_patches([[0.8, 0.2], [0.4, 0.6]])     # the top row swapped


@pytest.mark.parametrize('neighbours, reduction, gap, expected, border', [
    # pairs (SR diff, HR diff, term): TL-TR (0.6, -0.6, 0.36), BL-BR (-0.2, -0.2, 0), TL-BL (0.4, -0.2, 0.08),
    # TR-BR (-0.4, 0.2, 0.08), diagonals TL-BR (0.2, -0.4, 0.08) and TR-BL (-0.2, 0.4, 0.08)
    (4, 'mean', 0.1, (0.36 + 0 + 0.08 + 0.08) / 4, 'self'),
    (8, 'mean', 0.1, (0.36 + 0 + 0.08 * 4) / 6, 'self'),
    (4, 'mean', 0.3, 0.36, 'self'),                          # only TL-TR has an HR gap >= 0.3
    (8, 'mean', 0.3, (0.36 + 0.08 + 0.08) / 3, 'self'),     # ... and the two diagonals (gap 0.4)
    # released, 4 offsets: each pair seen from both ends, border neighbours are the patch itself (0): 2 * 0.52 / 4
    (4, 'released', 0.1, 2 * 0.52 / 4, 'self'),
    (4, 'released', 0.1, 2 * 0.52 / 4, 'replicate'),        # straight offsets: replicating also meets the patch itself
    # released, 8 offsets: 2 * 0.68 for the six pairs; every offset leaving the grid meets the patch itself (0)
    (8, 'released', 0.1, 2 * 0.68 / 8, 'self'),
    # replicated border: diagonals leaving the grid along one axis meet straight neighbours again:
    # top pair from both top patches (2 * 0.36), left and right vertical pairs from both ends (4 * 0.08); / 8 offsets
    (8, 'released', 0.1, (2 * 0.68 + 2 * 0.36 + 4 * 0.08) / 8, 'replicate'),
    (4, 'released', 0.3, 2 * 0.36 / 4, 'self'),
])
def test_two_by_two_example_by_hand(neighbours, reduction, gap, expected, border):
    got = toc_loss(SR_2x2, HR_2x2, patch_size=8, neighbours=neighbours, min_hr_gap=gap, reduction=reduction, border=border)
    assert abs(got.item() - expected) < 1e-6
    assert abs(brute_force_toc(SR_2x2, HR_2x2, 8, neighbours, gap, reduction, border) - expected) < 1e-6


@pytest.mark.parametrize('neighbours', [4, 8])
@pytest.mark.parametrize('reduction, border', [('mean', 'self'), ('released', 'self'), ('released', 'replicate')])
@pytest.mark.parametrize('gap', [0.0, 0.1, 0.25])
def test_vectorised_matches_brute_force(neighbours, reduction, border, gap):
    g = torch.Generator().manual_seed(neighbours * 100 + int(gap * 100))
    for shape, p in [((2, 1, 32, 40), 8), ((3, 1, 12, 15), 3), ((1, 1, 8, 24), 8)]:
        sr, hr = torch.rand(shape, generator=g), torch.rand(shape, generator=g)
        got = toc_loss(sr, hr, p, neighbours, gap, reduction, border).item()
        assert abs(got - brute_force_toc(sr, hr, p, neighbours, gap, reduction, border)) < 1e-6


@pytest.mark.parametrize('neighbours', [4, 8])
@pytest.mark.parametrize('reduction', ['mean', 'released'])
def test_zero_for_identity_and_increasing_affine(neighbours, reduction):
    hr = torch.rand(2, 1, 48, 32, generator=torch.Generator().manual_seed(3))
    for a, b in [(1., 0.), (0.3, 0.5), (2., -0.7)]:
        assert toc_loss(a * hr + b, hr, neighbours=neighbours, min_hr_gap=0., reduction=reduction).item() == 0.
    assert toc_loss(hr, hr, neighbours=neighbours, min_hr_gap=0., reduction=reduction).item() == 0.
    assert toc_loss(1 - hr, hr, neighbours=neighbours, min_hr_gap=0., reduction=reduction).item() > 0   # decreasing: not ignored


@pytest.mark.parametrize('f', [torch.sqrt, lambda x: x**3, torch.exp, lambda x: torch.sigmoid(8 * (x - 0.4)), lambda x: torch.log1p(9 * x)])
def test_zero_for_strictly_increasing_transform_of_patch_constant_hr(f):
    P = torch.rand(2, 1, 5, 6, generator=torch.Generator().manual_seed(4))
    hr = F.interpolate(P, scale_factor=8, mode='nearest')
    for reduction in ('mean', 'released'):
        assert toc_loss(f(hr), hr, min_hr_gap=0., reduction=reduction).item() == 0.


def test_nonlinear_transform_of_non_constant_patches_can_flip_order():
    hr = torch.tensor([[[[0., 1., .45, .45]]]])             # patch means 0.5 and 0.45 (patches of 1×2 pixels)
    sr = hr.sqrt()                                           # patch means 0.5 and 0.67: the order flips
    assert toc_loss(sr, hr, patch_size=1, min_hr_gap=0.).item() == 0.       # pixel by pixel it cannot flip
    Ps, Ph = F.avg_pool2d(sr, (1, 2)).flatten(), F.avg_pool2d(hr, (1, 2)).flatten()
    assert (Ps[0] - Ps[1]) * (Ph[0] - Ph[1]) < 0


def test_positive_for_inverted_pair_and_min_gap_filter():
    hr = from_patches([[0.2, 0.9]])
    assert abs(toc_loss(from_patches([[0.9, 0.2]]), hr, neighbours=4).item() - 0.7 * 0.7) < 1e-6
    assert toc_loss(from_patches([[0.9, 0.2]]), hr, neighbours=4, min_hr_gap=0.75).item() == 0.   # gap 0.7 < 0.75


def test_gradients_flow_to_sr_not_hr():
    sr = SR_2x2.clone().requires_grad_()
    hr = HR_2x2.clone().requires_grad_()
    for reduction in ('mean', 'released'):
        sr.grad = None
        toc_loss(sr, hr, reduction=reduction).backward()
        assert sr.grad.abs().sum() > 0 and hr.grad is None


def test_gradient_matches_finite_differences():
    g = torch.Generator().manual_seed(5)
    sr = torch.rand(1, 1, 8, 8, dtype=torch.float64, generator=g).requires_grad_()
    hr = torch.rand(1, 1, 8, 8, dtype=torch.float64, generator=g)
    for reduction in ('mean', 'released'):
        assert torch.autograd.gradcheck(lambda s: toc_loss(s, hr, patch_size=2, min_hr_gap=0.05, reduction=reduction), (sr,),
                                        fast_mode=True)


def test_partial_patches_are_dropped():
    g = torch.Generator().manual_seed(6)
    sr, hr = torch.rand(1, 1, 21, 19, generator=g), torch.rand(1, 1, 21, 19, generator=g)
    assert torch.allclose(toc_loss(sr, hr, min_hr_gap=0.), toc_loss(sr[..., :16, :16], hr[..., :16, :16], min_hr_gap=0.))


def test_mean_reduction_no_valid_pair_is_zero_not_nan():
    flat = torch.full((2, 1, 16, 16), 0.5)
    out = toc_loss(torch.rand(2, 1, 16, 16), flat)
    assert out.item() == 0. and not torch.isnan(out)


def test_bad_arguments():
    with pytest.raises(ValueError, match='neighbours'): toc_loss(SR_2x2, HR_2x2, neighbours=6)
    with pytest.raises(ValueError, match='reduction'): toc_loss(SR_2x2, HR_2x2, reduction='sum')
    with pytest.raises(ValueError, match='same shape'): toc_loss(SR_2x2, HR_2x2[..., :8])
    with pytest.raises(ValueError, match='at least'): toc_loss(SR_2x2[..., :4, :4], HR_2x2[..., :4, :4])


def test_module_wrapper():
    m = ThermalOrderConsistencyLoss(patch_size=8, neighbours=4, min_hr_gap=0.3, reduction='released')
    assert m(SR_2x2, HR_2x2).item() == toc_loss(SR_2x2, HR_2x2, 8, 4, 0.3, 'released').item()
    assert 'neighbours=4' in repr(m)


def test_total_loss_weights_by_hand():
    ce = torch.tensor(1.7, requires_grad=True)
    loss, parts = total_loss(ce)
    assert loss.item() == pytest.approx(1.7) and set(parts) == {'ce', 'total'}
    sr = SR_2x2.clone().requires_grad_()
    loss, parts = total_loss(ce, sr, HR_2x2, lambda_mse=0.2, lambda_toc=0.8, neighbours=4)
    mse = 2 * 0.6**2 / 4                                     # two of four patches off by 0.6
    toc = 0.13
    assert parts['mse'].item() == pytest.approx(mse, abs=1e-6) and parts['toc'].item() == pytest.approx(toc, abs=1e-6)
    assert loss.item() == pytest.approx(1.7 + 0.2 * mse + 0.8 * toc, abs=1e-6)
    assert parts['total'].item() == pytest.approx(loss.item()) and not parts['total'].requires_grad
    loss.backward()
    assert ce.grad.item() == 1.0
    # d/dsr of 0.2 * MSE at the top-left patch: 0.2 * 2 * (0.8 - 0.2) / N plus the TOC part; the bottom patches get
    # only the TOC part (BL-TL and BR-TR pairs), which is nonzero
    assert sr.grad.abs().sum() > 0
    _, parts3 = total_loss(ce, sr, HR_2x2, lambda_mse=0.0, lambda_toc=1.0, reduction='released', neighbours=4)
    assert parts3['toc'].item() == pytest.approx(0.26, abs=1e-6)
    with pytest.raises(ValueError, match='both'): total_loss(ce, sr)


# ---------------------------------------------------------------------------------------------------------------------
# the block-step penalty against the evaluation's block measure
# ---------------------------------------------------------------------------------------------------------------------
def test_block_step_loss_is_the_block_measure_made_differentiable():
    from realiisr_lite.evaluate import block_edges
    from realiisr_lite.losses import block_step_loss, PerceptualGANLoss
    g = torch.Generator().manual_seed(3)
    hr = torch.full((2, 1, 32, 32), 0.4) + torch.rand(2, 1, 1, 1, generator=g) * 0.2      # flat HR frames
    lr_noise = torch.randn(2, 1, 8, 8, generator=g) * 0.01
    sr = hr + F.interpolate(lr_noise, scale_factor=4, mode='nearest')                     # blocky: steps at borders
    want = block_edges(sr, hr)                                      # grey levels, both directions positive here
    assert want > 0.5
    assert abs(255 * block_step_loss(sr, hr).item() - want) < 1e-3
    smooth = hr + F.interpolate(lr_noise, scale_factor=4, mode='bicubic', align_corners=False)
    assert block_step_loss(smooth, hr).item() < block_step_loss(sr, hr).item() / 3
    # in the decoder's objective: the term is added, and its gradient lowers it
    crit = PerceptualGANLoss(perceptual=0.0, gan=0.0, blocks=10.0)
    x = sr.clone().requires_grad_()
    loss, parts = crit.generator_loss(x, hr)
    assert abs(loss.item() - (F.l1_loss(sr, hr) + 10 * block_step_loss(sr, hr)).item()) < 1e-6 and 'blocks' in parts
    loss.backward()
    assert block_step_loss((x - 0.05 * x.grad).detach(), hr) < block_step_loss(sr, hr)
