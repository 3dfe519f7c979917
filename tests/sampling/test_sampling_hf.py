"""HF backend on a tiny random LlamaForCausalLM with the real SmolLM2 tokenizer (fast, CPU)."""

from __future__ import annotations

import pytest

from mathdistill.sampling.base import GenerationRequest, SamplingParams

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, smollm2_path) -> str:
    tok = transformers.AutoTokenizer.from_pretrained(smollm2_path)
    config = transformers.LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64,
                                      num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                      max_position_embeddings=512, bos_token_id=tok.bos_token_id,
                                      eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(config)
    d = tmp_path_factory.mktemp("tiny-llama")
    model.save_pretrained(d)
    tok.save_pretrained(d)
    return str(d)


@pytest.fixture(scope="module")
def backend(tiny_model):
    from mathdistill.sampling.backends.hf import HFBackend

    b = HFBackend(tiny_model, batch_size=4, seed=0)
    yield b
    b.close()


def req(prompt: str, **kw) -> GenerationRequest:
    return GenerationRequest(prompt, SamplingParams(**{"max_tokens": 12, **kw}))


def test_n_completions_per_request_with_counts(backend):
    reqs = [req("What is 2+2?", n=3, seed=1), req("A much longer prompt about apples and pears " * 3, n=3, seed=1)]
    outs = backend.generate(reqs)
    assert [len(o) for o in outs] == [3, 3]
    for c in (c for o in outs for c in o):
        assert c.finish_reason in ("stop", "length") and 1 <= c.num_tokens <= 12
        if c.finish_reason == "length":
            assert c.num_tokens == 12
    assert len({c.text for c in outs[0]}) > 1  # sampled, not copies


def test_seeded_batches_reproduce(backend):
    reqs = [req("Tell me a story.", n=2, seed=7), req("Count to ten.", n=2, seed=7)]
    a, b = backend.generate(reqs), backend.generate(reqs)
    assert [[c.text for c in o] for o in a] == [[c.text for c in o] for o in b]
    c = backend.generate([req("Tell me a story.", n=2, seed=8), req("Count to ten.", n=2, seed=8)])
    assert [[x.text for x in o] for o in a] != [[x.text for x in o] for o in c]
    assert a[0][0].seed == 7


def test_left_padding_does_not_change_greedy_output(backend):
    short = req("Hi", temperature=0.0)
    alone = backend.generate([short])[0][0].text
    copies = backend.generate([req("Hi", temperature=0.0, n=3)])[0]
    assert [c.text for c in copies] == [alone] * 3
    batched = backend.generate([short, req("A long prompt that forces padding of the short one " * 4,
                                            temperature=0.0)])[0][0].text
    assert alone == batched


def test_stop_string_truncates_and_reports_stop(backend):
    free = backend.generate([req("Numbers:", temperature=0.0, max_tokens=16)])[0][0]
    assert len(free.text) > 8
    stop = free.text[len(free.text) // 2:len(free.text) // 2 + 3]
    cut = backend.generate([req("Numbers:", temperature=0.0, max_tokens=16, stop=[stop])])[0][0]
    assert cut.finish_reason == "stop"
    assert stop not in cut.text and free.text.startswith(cut.text)
    assert cut.num_tokens < 16


def test_cli_samples_with_hf_backend(tiny_model, tmp_path, data_dir):
    from typer.testing import CliRunner

    from mathdistill.cli.main import app
    from mathdistill.io.jsonl import read_jsonl

    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["sample", "--data", "gsm8k", "--split", "test", "--limit", "3", "--model",
                                   tiny_model, "--backend", "hf", "--strategy", "vanilla", "--k", "2",
                                   "--max-new-tokens", "8", "--out", str(out), "--no-progress",
                                   "--grading-workers", "1"])
    assert res.exit_code == 0, res.output
    rows = [r for _, r in read_jsonl(out / "samples.jsonl")]
    assert len(rows) == 6 and all(r["num_tokens"] and r["prompt"].startswith("<|im_start|>") for r in rows)
    assert "3 problems, 6 samples" in res.output
