"""`--logprobs K`: on the HF backend (tiny random Llama) the recorded top-K and sampled-token log-probs are
the model's raw next-token distribution, checked against one teacher-forced forward pass; the OpenAI and
vLLM parsers on stand-in responses; kill -9 of `mathdistill sample --logprobs` and a rerun."""

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


def test_openai_choice_logprobs_strings_and_vllm_ids():
    from types import SimpleNamespace as NS

    from mathdistill.sampling.backends.openai_backend import choice_logprobs

    top = [NS(token="Hel", logprob=-0.1), NS(token="He", logprob=-2.0)]
    chat = NS(logprobs=NS(content=[NS(token="Hel", logprob=-0.1, top_logprobs=top),
                                   NS(token="lo", logprob=-0.3, top_logprobs=[NS(token="lo", logprob=-0.3)])]))
    tl = choice_logprobs(chat, chat=True)
    assert tl.ids == ["Hel", "lo"] and tl.kind == "string" and tl.top_ids[0] == ["Hel", "He"]
    legacy = NS(logprobs=NS(tokens=["token_id:12", "token_id:7"], token_logprobs=[-0.5, None],
                            top_logprobs=[{"token_id:12": -0.5, "token_id:3": -1.5}, {"token_id:7": -0.2}]))
    tl = choice_logprobs(legacy, chat=False)
    assert tl.ids == [12, 7] and tl.kind == "id" and tl.top_ids == [[12, 3], [7]] and tl.logprobs[1] != tl.logprobs[1]
    assert choice_logprobs(NS(logprobs=None), chat=True) is None


def test_vllm_output_to_token_logprobs():
    from types import SimpleNamespace as NS

    from mathdistill.sampling.backends.vllm_backend import token_logprobs

    lp = lambda v, r: NS(logprob=v, rank=r)
    out = NS(token_ids=[5, 9], logprobs=[{5: lp(-0.1, 1), 6: lp(-2.5, 2), 7: lp(-3.0, 3)},
                                         {8: lp(-0.7, 1), 3: lp(-1.0, 2), 9: lp(-4.0, 17)}])
    tl = token_logprobs(out, 2)
    assert tl.ids == [5, 9] and tl.logprobs == [-0.1, -4.0]
    assert tl.top_ids == [[5, 6], [8, 3]] and tl.top_logprobs == [[-0.1, -2.5], [-0.7, -1.0]]


def test_kill9_mid_run_and_resume_keeps_one_entry_per_sample_line(tmp_path, data_dir):
    """`sample --logprobs` killed while writing, then rerun: the sidecar holds exactly the samples' keys."""
    import json
    import subprocess

    from test_sampling_kill import kill_when, sample_cmd

    from mathdistill.io.jsonl import read_jsonl
    from mathdistill.store.logprobs import BIN, INDEX, LogprobsReader, bytes_per_token

    out = tmp_path / "run"
    opts = json.dumps({"delay_s": 0.05, "by_seed": True, "script": {"Janet": ["so \\boxed{18} it is", "\\boxed{3}"]}})
    cmd = sample_cmd(out, "--limit", "12", "--model", "fake", "--backend", "fake", "--k", "3", "--batch-requests", "2",
                     "--template", "boxed_cot", "--grading-workers", "1", "--logprobs", "4",
                     "--set", f"backend_options={opts}")
    kill_when(cmd, out / "samples.jsonl", min_lines=5)
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    samples = {(r["problem_id"], r["sample_idx"]): r["response"] for _, r in read_jsonl(out / "samples.jsonl")}
    assert len(samples) == 36
    r = LogprobsReader(out)
    index_lines = (out / INDEX).read_text().count("\n")
    assert set(r.index) == set(samples) and index_lines == 36 and not r.check_samples(samples)
    end = max(int(d["offset"]) + int(d["tokens"]) for d in r.index.values())
    assert (out / BIN).stat().st_size == end * bytes_per_token(4)
    assert all(len(r.get(k)) == len(v.split()) for k, v in samples.items())
