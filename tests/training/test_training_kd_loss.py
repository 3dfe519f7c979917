"""training.losses.kd on its own: a hand computation on a 4-token vocabulary, and a brute-force float64
reference (loops over tokens and buckets) for forward/reverse KL, JSD, temperature, empty slots,
ignore_index and normalisation."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from mathdistill.training.losses.kd import TopKKLLoss, token_divergence


def test_hand_computation_with_the_tail_bucket():
    # Vocabulary of 4; the teacher's top-2 are tokens 2 (p 0.5) and 0 (p 0.3): its tail holds 0.2.
    logits = torch.log(torch.tensor([[0.1, 0.2, 0.3, 0.4]]))  # student q = (0.1, 0.2, 0.3, 0.4)
    ids = torch.tensor([[2, 0]])
    lps = torch.log(torch.tensor([[0.5, 0.3]]))
    # Student buckets at the teacher's tokens: q(2) = 0.3, q(0) = 0.1, tail 0.6.
    forward = 0.5 * math.log(0.5 / 0.3) + 0.3 * math.log(0.3 / 0.1) + 0.2 * math.log(0.2 / 0.6)
    reverse = 0.3 * math.log(0.3 / 0.5) + 0.1 * math.log(0.1 / 0.3) + 0.6 * math.log(0.6 / 0.2)
    assert token_divergence(logits, ids, lps).item() == pytest.approx(forward, rel=1e-5)
    assert token_divergence(logits, ids, lps, divergence="reverse").item() == pytest.approx(reverse, rel=1e-5)
    m = [(a + b) / 2 for a, b in zip((0.5, 0.3, 0.2), (0.3, 0.1, 0.6), strict=True)]
    jsd = 0.5 * sum(a * math.log(a / c) for a, c in zip((0.5, 0.3, 0.2), m, strict=True)) + \
        0.5 * sum(b * math.log(b / c) for b, c in zip((0.3, 0.1, 0.6), m, strict=True))
    assert token_divergence(logits, ids, lps, divergence="jsd").item() == pytest.approx(jsd, rel=1e-5)
    # Temperature 2: both bucket distributions tempered (p^(1/2), renormalised), the KL times 4.
    pt = [math.sqrt(x) for x in (0.5, 0.3, 0.2)]
    qt = [math.sqrt(x) for x in (0.3, 0.1, 0.6)]
    pt, qt = [x / sum(pt) for x in pt], [x / sum(qt) for x in qt]
    want = 4 * sum(a * math.log(a / b) for a, b in zip(pt, qt, strict=True))
    assert token_divergence(logits, ids, lps, temperature=2.0).item() == pytest.approx(want, rel=1e-5)


def reference(logits, ids, lps, labels, divergence, beta, temperature, normalize, ignore_index=-100):
    """Brute force in float64: one token and one bucket at a time."""
    total, n = 0.0, 0
    flat_logits = logits.double().reshape(-1, logits.shape[-1])
    flat_ids, flat_lps = ids.reshape(-1, ids.shape[-1]), lps.double().reshape(-1, lps.shape[-1])
    for t, label in enumerate(labels.reshape(-1).tolist()):
        if label == ignore_index:
            continue
        q_full = torch.softmax(flat_logits[t], -1)
        p, q = [], []
        for tok, lp in zip(flat_ids[t].tolist(), flat_lps[t].tolist(), strict=True):
            if tok < 0:
                continue  # an empty slot: no bucket
            p.append(math.exp(lp))
            q.append(q_full[tok].item())
        p.append(max(1 - sum(p), 1e-10))
        q.append(max(1 - sum(q), 1e-10))
        p = [x ** (1 / temperature) for x in p]
        q = [x ** (1 / temperature) for x in q]
        p, q = [x / sum(p) for x in p], [x / sum(q) for x in q]

        def kl(a, b):
            return sum(x * math.log(x / y) for x, y in zip(a, b, strict=True) if x > 0)

        if divergence == "forward":
            d = kl(p, q)
        elif divergence == "reverse":
            d = kl(q, p)
        else:
            m = [beta * x + (1 - beta) * y for x, y in zip(p, q, strict=True)]
            d = beta * kl(p, m) + (1 - beta) * kl(q, m)
        total += d * temperature ** 2
        n += 1
    return total / max(n, 1) if normalize else total


@pytest.mark.parametrize("divergence,beta", [("forward", 0.5), ("reverse", 0.5), ("jsd", 0.5), ("jsd", 0.2)])
@pytest.mark.parametrize("temperature", [1.0, 0.5, 2.0])
@pytest.mark.parametrize("normalize", [True, False])
def test_matches_brute_force(divergence, beta, temperature, normalize):
    g = torch.Generator().manual_seed(0)
    b, t, v, k = 2, 5, 11, 3
    logits = torch.randn(b, t, v, generator=g) * 2
    teacher = torch.log_softmax(torch.randn(b, t, v, generator=g) * 2, -1)
    lps, ids = teacher.topk(k, -1)
    ids[0, 1, 2], lps[0, 1, 2] = -1, -math.inf  # a short top list: one empty slot
    ids[1, 3, 1:], lps[1, 3, 1:] = -1, -math.inf
    lps = lps.half().float()  # stored as float16
    labels = torch.randint(0, v, (b, t), generator=g)
    labels[0, 0] = labels[1, 4] = -100
    loss = TopKKLLoss(divergence, beta=beta, temperature=temperature)
    got = loss(logits, ids, lps, labels, normalize=normalize)
    want = reference(logits, ids, lps, labels, divergence, beta, temperature, normalize)
    assert got.item() == pytest.approx(want, rel=1e-4, abs=1e-6)


@pytest.mark.parametrize("divergence", ["forward", "reverse", "jsd"])
def test_gradients_are_finite_with_empty_slots_and_a_full_top_k(divergence):
    logits = torch.randn(3, 6, requires_grad=True)
    ids = torch.tensor([[0, 1, -1], [2, -1, -1], [0, 1, 2]])
    lps = torch.log(torch.tensor([[0.6, 0.4, 0.0], [0.9, 0.0, 0.0], [0.5, 0.3, 0.2]]))  # row 3: no tail
    token_divergence(logits, ids, lps, divergence=divergence, temperature=1.5).sum().backward()
    assert torch.isfinite(logits.grad).all()


def test_zero_when_the_student_is_the_teacher_and_ignore_index():
    logits = torch.randn(4, 9)
    lps, ids = torch.log_softmax(logits, -1).topk(4, -1)
    for d in ("forward", "reverse", "jsd"):
        assert token_divergence(logits, ids, lps, divergence=d).abs().max().item() < 1e-5
    loss = TopKKLLoss()
    assert loss(torch.randn(2, 9), ids[:2], lps[:2], torch.tensor([-100, -100])).item() == 0.0
    with pytest.raises(ValueError, match="divergence"):
        token_divergence(logits, ids, lps, divergence="tvd")
