"""`--logprobs K` on the HF backend (tiny random Llama): the recorded top-K and sampled-token log-probs are
the model's raw next-token distribution, checked against one teacher-forced forward pass."""

from __future__ import annotations

import pytest

from mathdistill.sampling.base import GenerationRequest, SamplingParams

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def backend(tiny_lm):
    from mathdistill.sampling.backends.hf import HFBackend

    b = HFBackend(tiny_lm, batch_size=2, seed=0, device="cpu")
    yield b
    b.close()


def forward_logprobs(backend, prompt: str, toks: list[int]):
    enc = backend._tok(prompt, return_tensors="pt")["input_ids"]
    ids = torch.cat([enc, torch.tensor([toks])], 1)
    with torch.no_grad():
        logits = backend._model(ids).logits[0, enc.shape[1] - 1:-1].float()
    return torch.log_softmax(logits, -1)


@pytest.mark.parametrize("temperature", [0.0, 0.9])
def test_hf_logprobs_are_the_raw_distribution(backend, temperature):
    prompts = ["Problem: 1 + 1?\nSolution:", "Question: what is two times three? Answer:"]
    reqs = [GenerationRequest(p, SamplingParams(n=2, temperature=temperature, max_tokens=8, logprobs=5, seed=3))
            for p in prompts]
    out = backend.generate(reqs)
    for prompt, comps in zip(prompts, out, strict=True):
        for c in comps:
            tl = c.logprobs
            assert tl is not None and len(tl) == c.num_tokens == len(tl.top_ids) and all(len(t) == 5 for t in tl.top_ids)
            ref = forward_logprobs(backend, prompt, tl.ids)
            v, i = ref.topk(5, -1)
            assert i.tolist() == tl.top_ids
            assert torch.allclose(torch.tensor(tl.top_logprobs), v, atol=1e-4)
            sampled = ref.gather(-1, torch.tensor(tl.ids)[:, None]).squeeze(-1)
            assert torch.allclose(torch.tensor(tl.logprobs), sampled, atol=1e-4)
            if temperature == 0.0:
                assert tl.ids == [t[0] for t in tl.top_ids]  # greedy picks the top-1


def test_no_logprobs_unless_asked(backend):
    (c,), = backend.generate([GenerationRequest("Hi", SamplingParams(max_tokens=4, temperature=0.0))])
    assert c.logprobs is None
