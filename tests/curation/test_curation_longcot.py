"""Curation of long reasoning traces: token statistics, length-based selection, length and loop
filters, MinHash near-duplicates, the `unverified` switch and truncated traces."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from curation_helpers import mk, problem, write_dir

from mathdistill.curation import select
from mathdistill.curation.config import CurateConfig
from mathdistill.curation.filters import longest_repeat
from mathdistill.curation.formats import training_text
from mathdistill.curation.lengths import LengthMeter, resolve_unit
from mathdistill.curation.pipeline import curate
from mathdistill.errors import ConfigError
from mathdistill.records import Sample


def rows(p: Path) -> list[dict]:
    return [json.loads(line) for line in p.read_text().splitlines()]


def keys(p: Path) -> list[tuple[str, int]]:
    return [(r["problem_id"], r["sample_idx"]) for r in rows(p)]


def think(pid: str, idx: int, reasoning: str, tokens: int, correct: bool = True, *, closed: bool | None = True,
          answer: str = "The answer is \\boxed{1}.", finish: str = "stop", rtokens: int | None = None) -> Sample:
    s = mk(pid, idx, answer if closed else "", correct, pred="1" if correct else ("2" if closed else None),
           finish=finish, error=None if closed else "truncated")
    s.reasoning, s.reasoning_closed, s.num_tokens = reasoning, closed, tokens
    s.reasoning_tokens = rtokens if rtokens is not None else tokens - 10
    return s


def words(seed: int, n: int) -> str:
    """n pseudo-random words, different for each seed (a stand-in for a distinct trace)."""
    x, out = seed * 7919 + 1, []
    for _ in range(n):
        x = (x * 1103515245 + 12345) % (1 << 31)
        out.append(f"w{x % 997}")
    return " ".join(out)


LOOP = words(1, 60) + " Wait, let me recompute the sum of the two numbers once more carefully." * 12


@pytest.fixture
def think_dir(tmp_path: Path) -> Path:
    """P1: five correct traces of 100-5000 tokens (one loops, one a length outlier), one wrong, one
    unclosed; P2: two correct traces with the same answer part, one wrong complete trace."""
    s = [
        think("P1", 0, words(0, 80), 300),
        think("P1", 1, words(1, 40), 100),
        think("P1", 2, words(2, 60), 200),
        think("P1", 3, words(3, 900), 5000),  # 25x the median: an outlier
        think("P1", 4, LOOP, 250),
        think("P1", 5, words(5, 70), 260, correct=False),
        think("P1", 6, words(6, 2000), 8192, correct=False, closed=False, finish="length"),
        think("P2", 0, words(7, 50), 120),
        think("P2", 1, words(8, 50), 130),
        think("P2", 2, words(9, 50), 140, correct=False),
    ]
    return write_dir(tmp_path / "samples", s, [problem("P1"), problem("P2")])


def test_reasoning_is_in_the_training_text_and_dedup_reads_it(think_dir, tmp_path):
    stats = curate(think_dir, tmp_path / "o", CurateConfig(plots=False))
    # P2's two traces share their answer part ("The answer is ..."): different reasoning, both kept.
    assert keys(tmp_path / "o" / "positives.jsonl") == [("P1", 0), ("P1", 1), ("P1", 2), ("P1", 3), ("P1", 4),
                                                        ("P2", 0), ("P2", 1)]
    sft = {(r["problem_id"], r["sample_idx"]): r["completion"] for r in rows(tmp_path / "o" / "sft.jsonl")}
    assert sft[("P2", 0)] == f"<think>\n{words(7, 50)}\n</think>\n\nThe answer is \\boxed{{1}}."
    msgs = rows(tmp_path / "o" / "sft_messages.jsonl")[0]["messages"]
    assert msgs[-1]["content"].startswith("<think>\n") and "</think>" in msgs[-1]["content"]
    # The unclosed trace is truncated: never a positive, dropped from negatives by default, counted.
    assert stats["negatives"]["truncated"] == 1 and stats["negatives"]["dropped_truncated"] == 1
    assert ("P1", 6) not in keys(tmp_path / "o" / "negatives.jsonl")
    tr = stats["token_lengths"]["truncated"]
    assert tr == {"samples": 1, "rate": 0.1, "unclosed_reasoning": 1, "length_or_abort": 0}


def test_token_statistics_per_problem_overall_and_in_the_card(think_dir, tmp_path):
    stats = curate(think_dir, tmp_path / "o", CurateConfig(plots=False))
    pp = {r["problem_id"]: r for r in stats["per_problem"]}
    assert pp["P2"]["tokens"] == {"n": 3, "mean": 130.0, "median": 130, "p90": 140, "max": 140}
    assert pp["P2"]["reasoning_tokens"]["median"] == 120
    assert pp["P1"]["tokens"]["max"] == 8192 and pp["P1"]["tokens"]["n"] == 7
    ov = stats["token_lengths"]["overall"]
    assert ov["all"]["tokens"]["n"] == 10 and ov["truncated"]["tokens"]["max"] == 8192
    assert ov["correct"]["tokens"]["n"] == 7 and ov["incorrect"]["tokens"]["n"] == 2
    assert stats["token_lengths"]["per_problem_median"]["n"] == 2
    card = (tmp_path / "o" / "README.md").read_text()
    assert "## Lengths (tokens)" in card and "Reasoning tokens:" in card
    assert "| all | 10 | " in card and "reasoning never closed: 1" in card


def test_shortest_k_and_the_token_budget(think_dir, tmp_path):
    curate(think_dir, tmp_path / "k", CurateConfig(plots=False, select="uniform", k_correct=2, prefer="shortest"))
    # Shortest two per problem (P1: 100 and 200 tokens), listed by sample_idx.
    assert keys(tmp_path / "k" / "positives.jsonl") == [("P1", 1), ("P1", 2), ("P2", 0), ("P2", 1)]
    st = curate(think_dir, tmp_path / "b", CurateConfig(plots=False, token_budget=560))
    # P1 shortest first: 100 + 200 + 250 = 550 fit, + 300 does not; P2: 120 + 130.
    assert keys(tmp_path / "b" / "positives.jsonl") == [("P1", 1), ("P1", 2), ("P1", 4), ("P2", 0), ("P2", 1)]
    assert st["positives"]["over_token_budget"] == 2 and st["selection"]["length_unit"] == "tokens"
    assert "over the per-problem length budget (560) | 2 |" in (tmp_path / "b" / "README.md").read_text()
    # A budget below the shortest trace still keeps one path per solved problem.
    curate(think_dir, tmp_path / "t", CurateConfig(plots=False, token_budget=1))
    assert keys(tmp_path / "t" / "positives.jsonl") == [("P1", 1), ("P2", 0)]


def test_length_and_loop_filters_count_what_they_drop(think_dir, tmp_path):
    cfg = CurateConfig(plots=False, max_length_ratio=4, loop_repeats=8, drop_truncated=False)
    st = curate(think_dir, tmp_path / "o", cfg)
    assert keys(tmp_path / "o" / "positives.jsonl") == [("P1", 0), ("P1", 1), ("P1", 2), ("P2", 0), ("P2", 1)]
    assert st["positives"]["length_outlier"] == 1 and st["positives"]["repetition_loop"] == 1
    # The kept truncated negative (8192 tokens) is an outlier against P1's median too.
    assert st["negatives"]["length_outlier"] == 1 and ("P1", 6) not in keys(tmp_path / "o" / "negatives.jsonl")
    card = (tmp_path / "o" / "README.md").read_text()
    assert "| repetition loops (positives / negatives) | 1 / 0 |" in card
    assert "| length outliers vs the problem's median (positives / negatives) | 1 / 1 |" in card
    st = curate(think_dir, tmp_path / "c", CurateConfig(plots=False, max_trace_tokens=1000))
    assert st["positives"]["over_max_length"] == 1 and ("P1", 3) not in keys(tmp_path / "c" / "positives.jsonl")


def test_unverified_keeps_every_complete_trace_but_labels_only_verified_ones(think_dir, tmp_path):
    st = curate(think_dir, tmp_path / "o", CurateConfig(plots=False, unverified=True))
    pos = keys(tmp_path / "o" / "positives.jsonl")
    assert ("P1", 5) in pos and ("P2", 2) in pos and ("P1", 6) not in pos  # wrong yes, truncated never
    assert st["positives"]["unverified"] == 2 and st["positives"]["kept_unverified"] == 2
    assert st["positives"]["kept"] == 9 and st["selection"]["unverified"] is True
    # Formats that call a path the right one (pairs, KTO, ranker) take only the correct ones.
    assert all(r["label"] is False for r in rows(tmp_path / "o" / "kto.jsonl") if (r["problem_id"], r["sample_idx"])
               in {("P1", 5), ("P2", 2)})
    assert {r["chosen_idx"] for r in rows(tmp_path / "o" / "pairs.jsonl") if r["problem_id"] == "P1"} <= {0, 1, 2, 3, 4}
    assert "admitted without a correct answer (unverified) / kept | 2 / 2 |" in (tmp_path / "o" / "README.md").read_text()


def test_kept_truncated_negative_stays_unclosed(think_dir, tmp_path):
    curate(think_dir, tmp_path / "o", CurateConfig(plots=False, drop_truncated=False))
    neg = {(r["problem_id"], r["sample_idx"]): r for r in rows(tmp_path / "o" / "negatives.jsonl")}
    assert neg[("P1", 6)]["truncated"] is True
    text = next(r["completion"] for r in rows(tmp_path / "o" / "neg_sft.jsonl") if r["sample_idx"] == 6)
    assert text.startswith("<think>\n") and "</think>" not in text


def test_minhash_dedup_in_the_pipeline(tmp_path):
    pytest.importorskip("datasketch")
    base = words(11, 400)
    w = base.split()
    s = [think("P1", 0, base, 500), think("P1", 1, " ".join(w[:200] + ["changed"] + w[201:]), 500),
         think("P1", 2, words(12, 400), 500), think("P1", 3, base + " w5", 501)]
    d = write_dir(tmp_path / "s", s, [problem("P1")])
    st = curate(d, tmp_path / "o", CurateConfig(plots=False, dedup="minhash"))
    assert keys(tmp_path / "o" / "positives.jsonl") == [("P1", 0), ("P1", 2)]
    assert st["positives"]["dup_minhash"] == 2
    assert st["selection"]["minhash"]["threshold"] == 0.8 and st["selection"]["minhash"]["datasketch"]
    assert "MinHash near-duplicates dropped | 2 |" in (tmp_path / "o" / "README.md").read_text()


def test_short_cot_card_and_counts_have_no_long_trace_rows(mixed_dir, tmp_path):
    st = curate(mixed_dir, tmp_path / "o", CurateConfig(plots=False))
    card = (tmp_path / "o" / "README.md").read_text().split("## Resolved config")[0]
    for label in ("unverified", "length cap", "outliers", "repetition loops", "MinHash", "length budget",
                  "## Lengths (tokens)"):  # the mixed samples record no token counts
        assert label not in card
    assert st["selection"]["length_unit"] is None and st["token_lengths"]["samples_without_tokens"] == 12


def test_length_unit(tmp_path):
    with_tokens, without = think("P1", 0, "abc", 7), mk("P1", 1, "hello", True)
    assert LengthMeter("chars")(with_tokens) == 3 + len(with_tokens.response)
    assert resolve_unit("auto", [with_tokens], needed=True).unit == "tokens"
    assert resolve_unit("auto", [with_tokens, without], needed=True).unit == "chars"
    with pytest.raises(ConfigError, match="length-unit chars"):
        resolve_unit("tokens", [with_tokens, without], needed=True)
    d = write_dir(tmp_path / "s", [mk("P1", 0, "a much longer path \\boxed{1}", True), mk("P1", 1, "short \\boxed{1}", True)],
                  [problem("P1")])
    st = curate(d, tmp_path / "o", CurateConfig(plots=False, select="uniform", k_correct=1, prefer="shortest"))
    assert keys(tmp_path / "o" / "positives.jsonl") == [("P1", 1)] and st["selection"]["length_unit"] == "chars"


def test_config_rejects_bad_long_trace_knobs():
    for bad in ({"loop_repeats": 1}, {"max_length_ratio": 1.0}, {"minhash_threshold": 0}, {"token_budget": 0}):
        with pytest.raises((ValueError, ConfigError)):
            CurateConfig(**bad)


# ---------------------------------------------------------------- units


def test_longest_repeat_finds_loops_linearly():
    assert longest_repeat(LOOP, 20) >= 10
    assert longest_repeat(words(3, 3000), 20) == 1  # distinct text: every span once
    assert longest_repeat("the " * 100, 20) == 81  # a stutter shorter than the span
    assert longest_repeat("too short", 20) == 0
    big = words(4, 200_000)
    t0 = time.perf_counter()
    assert longest_repeat(big + " " + big[:20_000], 20) >= 2
    assert time.perf_counter() - t0 < 5


def test_selection_helpers():
    s = [think("P", i, "r", n) for i, n in enumerate([30, 10, 20, 10])]
    length = LengthMeter("tokens")
    order = select.shortest_first(s, length)
    assert [x.sample_idx for x in order] == [1, 3, 2, 0]  # ties by sample_idx
    assert [x.sample_idx for x in select.within_budget(order, length, 40)] == [1, 3, 2]
    assert [x.sample_idx for x in select.within_budget(order, length, 5)] == [1]


def test_minhash_dedup_unit():
    pytest.importorskip("datasketch")
    from mathdistill.curation.minhash import minhash_dedup, shingle_hashes

    base = words(21, 3000)
    w = base.split()
    near = " ".join(w[:1000] + ["changed"] + w[1001:2000] + ["again"] + w[2001:])
    texts = [base, words(22, 3000), near, base[: len(base) // 3]]
    kept, n = minhash_dedup(texts, str)
    assert kept == [base, texts[1], texts[3]] and n == 1
    assert minhash_dedup(texts, str) == (kept, n)  # seeded: the same every time
    assert minhash_dedup(texts, str, threshold=0.3)[1] == 2  # a third of the text is similar enough
    assert minhash_dedup([base, base], str, threshold=1.0) == ([base], 1)  # no banding: checked one by one
    assert minhash_dedup([base], str) == ([base], 0)
    assert shingle_hashes("", 5) == [0] and shingle_hashes("a  b", 5) == shingle_hashes("a b", 5)


def test_training_text_of_a_plain_sample_is_its_response():
    s = mk("P", 0, "plain \\boxed{1}", True)
    assert training_text(s) == s.response


def test_every_flag_in_the_long_cot_doc_is_a_curate_option():
    import dataclasses
    import re

    doc = (Path(__file__).resolve().parents[2] / "docs" / "curation_longcot.md").read_text()
    known = set()
    for f in dataclasses.fields(CurateConfig):
        flags = f.metadata.get("flags") or ("--" + f.name.replace("_", "-"),)
        known |= {x for fl in flags for x in fl.split("/")}
    missing = sorted(set(re.findall(r"--[a-z][a-z-]*", doc)) - known - {"--config"})
    assert not missing, missing


@pytest.mark.parametrize("text, work, final", [
    ("3 + 4 = 7. The answer is 7.", "3 + 4 = 7.", "The answer is 7."),
    # decimals and digit groups do not end a sentence
    ("He has 3.5 apples and 1,000 pears. So the answer is 1003.5.", "He has 3.5 apples and 1,000 pears.",
     "So the answer is 1003.5."),
    ("First line\n\nb = 3\nThe answer is 3.", "First line\n\nb = 3", "The answer is 3."),
    ("The answer is 7.", "", "The answer is 7."),
    ("  Total: 5! Done? The answer is 5  ", "Total: 5! Done?", "The answer is 5"),
])
def test_final_sentence_split(text, work, final):
    from mathdistill.curation.formats import split_final_sentence

    assert split_final_sentence(text) == (work, final)


def test_think_messages_lay_short_cot_out_as_a_reasoning_trace(tmp_path):
    """`think_messages`: the positives of a short-CoT run, working in think tags and the final sentence
    after them; the default formats do not write it; traces that have a reasoning keep it."""
    d = write_dir(tmp_path / "s", [
        mk("P1", 0, "Tom has 2 and gets 3 more. 2 + 3 = 5. The answer is 5.", True),
        mk("P1", 1, "2 + 2 = 4. The answer is 4.", False, pred="4"),
        think("P2", 0, "work", 50),
    ], [problem("P1"), problem("P2")])
    curate(d, tmp_path / "o", CurateConfig(plots=False))
    assert not (tmp_path / "o" / "think_messages.jsonl").exists()
    stats = curate(d, tmp_path / "t", CurateConfig(plots=False, formats=["messages", "think_messages"]))
    assert stats["files"]["think_messages.jsonl"] == 2
    got = [r["messages"][-1]["content"] for r in rows(tmp_path / "t" / "think_messages.jsonl")]
    assert got == ["<think>\nTom has 2 and gets 3 more. 2 + 3 = 5.\n</think>\n\nThe answer is 5.",
                   "<think>\nwork\n</think>\n\nThe answer is \\boxed{1}."]
    # the short-CoT file beside it is unchanged
    plain = [r["messages"][-1]["content"] for r in rows(tmp_path / "t" / "sft_messages.jsonl")]
    assert plain[0] == "Tom has 2 and gets 3 more. 2 + 3 = 5. The answer is 5."
