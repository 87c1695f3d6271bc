"Condition-Adaptive Codebook: the formula against a loop, the α = 0 start, gradients, parameter count, lookup."
import math
import pytest
import torch
from realiisr_lite.cac import ConditionAdaptiveCodebook
from realiisr_lite.vqvae import lookup


@pytest.fixture
def setup():
    torch.manual_seed(0)
    cac = ConditionAdaptiveCodebook(codebook_size=40, latent_dim=10, cond_dim=12, rank=8, hidden=16)
    return cac, torch.randn(40, 10), torch.randn(4, 9, 12)


def test_alpha_zero_is_exactly_the_plain_codebook(setup):
    cac, Z, prefix = setup
    assert cac.alpha.item() == 0.0
    out = cac(Z, prefix)
    assert out.shape == (4, 40, 10)
    assert torch.equal(out, Z[None].expand(4, -1, -1))


def test_formula_against_loop(setup):
    cac, Z, prefix = setup
    with torch.no_grad():
        cac.alpha.fill_(-0.4)
        out = cac(Z, prefix)
        for b in range(4):
            g = prefix[b].mean(0)
            g = (g - g.mean()) / torch.sqrt(g.var(unbiased=False) + 1e-5)          # LayerNorm without affine
            h = cac.mlp[2](torch.nn.functional.gelu(cac.mlp[0](g)))
            for i in range(40):
                expected = Z[i] + math.tanh(-0.4) * ((cac.U[i] * h) @ cac.V.T)
                assert torch.allclose(out[b, i], expected, atol=1e-5)


def test_same_index_differs_between_conditions(setup):
    cac, Z, prefix = setup
    with torch.no_grad():
        cac.alpha.fill_(0.5)
        cond_a, cond_b = torch.randn(1, 9, 12), torch.randn(1, 9, 12) + 1.0
        za, zb = cac(Z, cond_a), cac(Z, cond_b)
        idx = torch.tensor([[3, 17, 17]])
        ea, eb = lookup(za, idx), lookup(zb, idx)
    assert not torch.allclose(ea, eb, atol=1e-3)
    assert torch.equal(ea[0, 1], ea[0, 2])                                         # same condition, same index: same vector
    assert (ea - lookup(Z, idx)).norm() > 1e-3                                    # and not the plain entry


def test_prefix_order_does_not_matter(setup):
    cac, Z, prefix = setup
    with torch.no_grad():
        cac.alpha.fill_(0.5)
        assert torch.allclose(cac(Z, prefix), cac(Z, prefix[:, torch.randperm(9)]), atol=1e-5)


@pytest.mark.parametrize('V, C, D, r, hidden', [(40, 10, 12, 8, 16), (4096, 32, 1024, 8, None), (7, 3, 5, 2, 4)])
def test_parameter_count_by_hand(V, C, D, r, hidden):
    hid = hidden or D
    mlp = (D * hid + hid) + (hid * r + r)                                          # two linear layers with bias
    cac = ConditionAdaptiveCodebook(V, C, D, rank=r, hidden=hidden)
    assert sum(p.numel() for p in cac.parameters()) == V * r + C * r + 1 + mlp


def test_gradients(setup):
    cac, Z, prefix = setup
    target = torch.randn(4, 40, 10)
    # at α = 0 only α receives a gradient (tanh(0) = 0 multiplies every other path), and it is non-zero
    ((cac(Z, prefix) - target)**2).mean().backward()
    assert cac.alpha.grad.abs() > 0
    assert cac.U.grad.abs().max() == 0 and cac.V.grad.abs().max() == 0
    assert all(p.grad.abs().max() == 0 for p in cac.mlp.parameters())
    # once α moves, U, V, α and h (the MLP) all receive gradients
    cac.zero_grad()
    with torch.no_grad(): cac.alpha.fill_(0.2)
    ((cac(Z, prefix) - target)**2).mean().backward()
    for p in [cac.alpha, cac.U, cac.V, *cac.mlp.parameters()]:
        assert p.grad is not None and p.grad.abs().max() > 0


def test_one_adam_step_from_alpha_zero_moves_everything(setup):
    cac, Z, prefix = setup
    opt = torch.optim.Adam(cac.parameters(), lr=1e-2)
    target = torch.randn(4, 40, 10)
    U0 = cac.U.detach().clone()
    for _ in range(2):
        opt.zero_grad(); ((cac(Z, prefix) - target)**2).mean().backward(); opt.step()
    assert cac.alpha.item() != 0 and not torch.equal(cac.U.detach(), U0)


def _lookup_naive(codebook, idx):
    B = idx.shape[0]
    flat = idx.reshape(B, -1)
    rows = []
    for b in range(B):
        cb = codebook if codebook.ndim == 2 else codebook[b]
        rows.append(torch.stack([cb[int(flat[b, j])] for j in range(flat.shape[1])]))
    return torch.stack(rows).reshape(*idx.shape, codebook.shape[-1])


@pytest.mark.parametrize('shared', [True, False])
@pytest.mark.parametrize('idx_shape', [(3, 11), (3, 4, 5), (3, 1)])
def test_lookup_against_loop(shared, idx_shape):
    g = torch.Generator().manual_seed(1)
    cb = torch.randn(20, 6, generator=g) if shared else torch.randn(3, 20, 6, generator=g)
    idx = torch.randint(0, 20, idx_shape, generator=g)
    out = lookup(cb, idx)
    assert out.shape == (*idx_shape, 6)
    assert torch.equal(out, _lookup_naive(cb, idx))


def test_lookup_per_sample_differs_and_errors():
    cb = torch.stack([torch.zeros(5, 2), torch.ones(5, 2)])
    idx = torch.tensor([[4, 0], [4, 0]])
    out = lookup(cb, idx)
    assert torch.equal(out[0], torch.zeros(2, 2)) and torch.equal(out[1], torch.ones(2, 2))
    with pytest.raises(ValueError, match='batch'): lookup(cb, idx[:1])
    with pytest.raises(ValueError, match='codebook'): lookup(torch.zeros(2, 2, 5, 2), idx)


def test_lookup_gradient_reaches_per_sample_codebook():
    cb = torch.randn(2, 5, 3, requires_grad=True)
    lookup(cb, torch.tensor([[1, 1], [2, 0]])).sum().backward()
    expected = torch.zeros(2, 5, 3); expected[0, 1] = 2; expected[1, 2] = 1; expected[1, 0] = 1
    assert torch.equal(cb.grad, expected)
