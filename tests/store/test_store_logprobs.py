"""The token log-probs sidecar (store.logprobs): round trip, kill-safety on reopen, index consistency,
and sampling with `--logprobs K` through the runner (fake backend)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mathdistill.errors import ConfigError, DataError
from mathdistill.store.logprobs import (
    BIN,
    INDEX,
    LogprobsReader,
    LogprobsWriter,
    TokenLogprobs,
    bytes_per_token,
    text_sha,
    vocab_digest,
)

VOCAB = {"digest": vocab_digest({"a": 0, "b": 1}), "size": 2}


def tl(n: int, k: int, base: int = 0) -> TokenLogprobs:
    return TokenLogprobs([base + i for i in range(n)], [-0.25 * i for i in range(n)],
                         [[base + i + j for j in range(k)] for i in range(n)],
                         [[-0.5 * j - 0.125 for j in range(k)] for _ in range(n)])


def writer(path, keys=(), k=3, **kw) -> LogprobsWriter:
    return LogprobsWriter(path, k, kind=kw.pop("kind", "id"), vocab=kw.pop("vocab", VOCAB), sample_keys=keys, **kw)


def test_round_trip_and_record_size(tmp_path):
    with writer(tmp_path) as w:
        w.write_many([(("p1", 0), "text a", tl(4, 3)), (("p1", 1), "text b", tl(2, 3, 100))])
        w.write_many([(("p2", 0), "text c", tl(0, 3))])
    assert (tmp_path / BIN).stat().st_size == 6 * bytes_per_token(3) == 6 * 24
    r = LogprobsReader(tmp_path)
    assert r.k == 3 and r.kind == "id" and r.vocab == VOCAB and len(r) == 3
    a = r.get(("p1", 0))
    assert a["id"].tolist() == [0, 1, 2, 3] and a["top_ids"][1].tolist() == [1, 2, 3]
    np.testing.assert_allclose(a["lp"], [0, -0.25, -0.5, -0.75])
    np.testing.assert_allclose(a["top_lp"][2], [-0.125, -0.625, -1.125])
    assert r.get(("p1", 1))["id"].tolist() == [100, 101] and len(r.get(("p2", 0))) == 0
    assert r.get(("nope", 0)) is None
    assert r.check_samples({("p1", 0): "text a", ("p1", 1): "edited"}) == [("p1", 1)]


def test_short_top_lists_are_padded(tmp_path):
    with writer(tmp_path, k=4) as w:
        w.write_many([(("p", 0), "x", TokenLogprobs([5], [-1.0], [[5, 6]], [[-1.0, -2.0]]))])
    rec = LogprobsReader(tmp_path).get(("p", 0))
    assert rec["top_ids"][0].tolist() == [5, 6, -1, -1] and np.isneginf(rec["top_lp"][0, 2:]).all()


def test_reopen_drops_entries_without_a_sample_line_and_cuts_the_tail(tmp_path):
    with writer(tmp_path) as w:
        w.write_many([(("p", 0), "a", tl(3, 3))])
        w.write_many([(("p", 1), "b", tl(5, 3))])  # killed before p#1's sample line was written
    with open(tmp_path / BIN, "ab") as f:
        f.write(b"\x01" * 7)  # and a torn record behind it
    with open(tmp_path / INDEX, "a") as f:
        f.write('{"problem_id": "p", "sample_')  # and a torn index line
    with writer(tmp_path, keys=[("p", 0)]) as w:  # the rerun: only p#0 is in samples.jsonl
        assert (tmp_path / BIN).stat().st_size == 3 * bytes_per_token(3)
        w.write_many([(("p", 1), "b2", tl(2, 3, 50))])
    r = LogprobsReader(tmp_path)
    assert sorted(r.index) == [("p", 0), ("p", 1)]
    assert r.get(("p", 1))["id"].tolist() == [50, 51] and r.get(("p", 0))["id"].tolist() == [0, 1, 2]
    assert r.index[("p", 1)]["sha"] == text_sha("b2")


def test_refusals(tmp_path):
    with pytest.raises(ConfigError, match="without token log-probs"):
        writer(tmp_path, keys=[("p", 0)])  # samples exist, no sidecar: sampled without --logprobs
    with writer(tmp_path) as w:
        w.write_many([(("p", 0), "a", tl(2, 3))])
    with pytest.raises(ConfigError, match="k: 3 -> 5"):
        writer(tmp_path, keys=[("p", 0)], k=5)
    with pytest.raises(ConfigError, match="vocab"):
        writer(tmp_path, keys=[("p", 0)], vocab={"digest": "other", "size": 3})
    with pytest.raises(ConfigError, match="1 samples have no token log-probs"):
        writer(tmp_path, keys=[("p", 0), ("p", 1)])
    (tmp_path / BIN).write_bytes(b"")  # the records lost, the index kept
    with pytest.raises(DataError, match="the file was cut"):
        LogprobsReader(tmp_path)
    with pytest.raises(DataError, match="sample the teacher with --logprobs"):
        LogprobsReader(tmp_path / "none")


def test_token_strings_get_local_ids(tmp_path):
    s = TokenLogprobs(["Hel", "lo"], [-0.1, -0.2], [["Hel", "He"], ["lo", "l"]], [[-0.1, -2.0], [-0.2, -3.0]])
    with writer(tmp_path, kind="string", vocab=None) as w:
        w.write_many([(("p", 0), "Hello", s)])
    with writer(tmp_path, keys=[("p", 0)], kind="string", vocab=None) as w:
        w.write_many([(("p", 1), "He", TokenLogprobs(["He"], [-1.0], [["He", "x"]], [[-1.0, -4.0]]))])
    r = LogprobsReader(tmp_path)
    assert r.strings == ["Hel", "He", "lo", "l", "x"]  # in order of first appearance
    assert [r.strings[i] for i in r.get(("p", 1))["top_ids"][0] if i >= 0] == ["He", "x"]


@pytest.mark.parametrize("k", [5, 20])
def test_size_per_million_tokens(tmp_path, k):
    """The sidecar's cost, index included, for 1,000 samples of 200 tokens (documented in docs/distillation.md)."""
    with writer(tmp_path, k=k) as w:
        for b in range(10):
            w.write_many([((f"problem-{b}-{i}", i % 8), "x" * 300, tl(200, k)) for i in range(100)])
    total = sum(f.stat().st_size for f in tmp_path.iterdir())
    per_million = total / 200_000 * 1e6
    assert (tmp_path / BIN).stat().st_size == 200_000 * (6 + 6 * k)
    assert per_million < (6 + 6 * k) * 1.02e6  # the index adds ~0.5 B a token (200-token samples)


def test_sampling_writes_the_sidecar_and_resumes(tmp_path):
    from mathdistill.records import Problem
    from mathdistill.sampling.backends.fake import FakeBackend
    from mathdistill.sampling.config import SampleConfig
    from mathdistill.sampling.runner import run_sampling
    from mathdistill.store.samples import SamplesDir

    probs = [Problem("a", "Alpha: 1+2?", "3"), Problem("b", "Beta: 2+2?", "4")]
    script = {"Alpha": ["so the answer is \\boxed{3}"], "Beta": ["it is \\boxed{5} I think"]}
    c = SampleConfig(out=str(tmp_path / "s"), backend="fake", model="fake", template="boxed_cot", progress=False,
                     grading_workers=1, k=2, logprobs=4)
    run_sampling(c, backend=FakeBackend(script=script), problems=probs)
    sd = SamplesDir(tmp_path / "s")
    samples = {s.key: s for s in sd.iter_samples()}
    r = LogprobsReader(sd.path)
    assert set(r.index) == set(samples) and r.k == 4 and not r.check_samples({k: s.response for k, s in samples.items()})
    assert len(r.get(("a", 0))) == len(samples["a", 0].response.split())
    # A rerun with more samples per problem appends; one with another K is refused.
    run_sampling(SampleConfig(**{**c.__dict__, "k": 3}), backend=FakeBackend(script=script), problems=probs)
    assert set(LogprobsReader(sd.path).index) == {(p, i) for p in "ab" for i in range(3)}
    with pytest.raises(ConfigError, match="logprobs"):
        run_sampling(SampleConfig(**{**c.__dict__, "k": 4, "logprobs": 5}), backend=FakeBackend(script=script),
                     problems=probs)
    run_sampling(SampleConfig(**{**c.__dict__, "overwrite": True, "logprobs": 0}), backend=FakeBackend(script=script),
                 problems=probs)
    assert not (sd.path / INDEX).exists()  # --overwrite clears the sidecar with the samples


def test_logprobs_above_the_backend_limit_is_one_line(tmp_path):
    from mathdistill.sampling.config import SampleConfig
    from mathdistill.sampling.runner import run_sampling

    with pytest.raises(ConfigError, match="at most 20 log-probs per token"):
        run_sampling(SampleConfig(out=str(tmp_path / "s"), backend="vllm", logprobs=50))
    assert not (tmp_path / "s").exists()
    with pytest.raises(ConfigError, match="--ray"):
        SampleConfig(out=str(tmp_path / "s"), backend="fake", logprobs=5, ray=True)


def test_meta_records_the_layout(tmp_path):
    with writer(tmp_path, k=5):
        pass
    meta = json.loads((tmp_path / "logprobs.json").read_text())
    assert meta["k"] == 5 and meta["record"]["bytes"] == 36 and meta["vocab"] == VOCAB

