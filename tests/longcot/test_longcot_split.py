"""The one reasoning splitter and what grading reads: every bad input has one defined outcome."""

from __future__ import annotations

import pytest

from mathdistill.grading.apply import grade_samples, row_item, sample_item
from mathdistill.grading.reasoning import THINK_TAGS, Split, grading_input, split_reasoning
from mathdistill.records import Sample


@pytest.mark.parametrize(("text", "prefilled", "want"), [
    ("The answer is 4.", False, Split(None, "The answer is 4.", None)),  # no tags: no reasoning
    ("The answer is 4.", True, Split("The answer is 4.", "", False)),  # template opened it: never closed
    ("<think>2+2=4</think>\n\nThe answer is 4.", False, Split("2+2=4", "The answer is 4.", True)),
    ("<think>2+2=4</think>The answer is 4.", True, Split("2+2=4", "The answer is 4.", True)),  # model repeats it
    ("2+2=4\n</think>\n\nThe answer is 4.", True, Split("2+2=4", "The answer is 4.", True)),  # prefilled: normal
    ("2+2=4\n</think>\n\nThe answer is 4.", False, Split("2+2=4", "The answer is 4.", True)),  # same reading
    ("<think>2+2 is 4, so \\boxed{4}", False, Split("2+2 is 4, so \\boxed{4}", "", False)),  # unclosed
    ("<think>a</think>maybe 5<think>b</think>The answer is 4.", False,
     Split("a</think>maybe 5<think>b", "The answer is 4.", True)),  # two blocks: after the last close
    ("<think>a</think>maybe 5<think>b, \\boxed{4}", False,
     Split("a</think>maybe 5<think>b, \\boxed{4}", "", False)),  # reopened and never closed
    ("<think>2+2=4</think>\n", False, Split("2+2=4", "", True)),  # empty answer after the reasoning
    ("", False, Split(None, "", None)),
    ("", True, Split("", "", False)),
    ("Okay. <think>r</think> 4", False, Split("Okay. <think>r", "4", True)),  # preamble stays in the reasoning
])
def test_split_outcomes(text, prefilled, want):
    assert split_reasoning(text, THINK_TAGS, prefilled) == want


def test_split_is_a_tuple_and_custom_tags_and_trim():
    r, a, closed = split_reasoning("<|channel|>analysis<|message|>think<|end|><|start|>assistant"
                                   "<|channel|>final<|message|>42<|return|>",
                                   ("<|channel|>analysis<|message|>", "<|channel|>final<|message|>"),
                                   trim=("<|start|>assistant", "<|end|>", "<|return|>"))
    assert (r, a, closed) == ("think", "42", True)


@pytest.mark.parametrize(("response", "finish", "closed", "want"), [
    ("The answer is 4.", "stop", None, ("The answer is 4.", "stop")),  # short CoT: untouched
    ("  spaced  ", None, None, ("  spaced  ", None)),  # untouched, not even stripped
    ("<think>maybe 5</think>The answer is 4.", "stop", None, ("The answer is 4.", "stop")),  # raw: split here
    ("<think>so \\boxed{4}", "length", None, ("", "length")),
    ("<think>so \\boxed{4}", "stop", None, ("", "length")),  # unclosed = truncated, whatever the finish
    ("The answer is 4.", "stop", True, ("The answer is 4.", "stop")),  # already the answer part
    ("", "stop", False, ("", "length")),
    ("4", "stop", False, ("", "length")),  # a record saying "never closed" is never graded
])
def test_grading_input(response, finish, closed, want):
    assert grading_input(response, finish, closed) == want


def _sample(response, *, reasoning=None, closed=None, finish="stop", gold="4") -> Sample:
    return Sample("p", 0, "Q", response, finish_reason=finish, answer=gold, reasoning=reasoning,
                  reasoning_closed=closed)


def test_grading_reads_only_the_answer_part():
    samples = [
        _sample("The answer is 4.", reasoning="maybe \\boxed{5}", closed=True),  # split: correct
        _sample("The answer is 5.", reasoning="it is \\boxed{4}", closed=True),  # the thinking is not read
        _sample("", reasoning="so the answer is \\boxed{4}", closed=False),  # unclosed: truncated
        _sample("", reasoning="so \\boxed{4}", closed=True),  # empty answer: no answer, not truncated
        _sample("<think>\\boxed{5}</think> The answer is 4."),  # raw (an older file): split at grading
        _sample("<think>The answer is 4.", finish="length"),  # raw, unclosed
    ]
    grades = grade_samples(samples, timeout_s=5)
    assert [g.correct for g in grades] == [True, False, False, False, True, False]
    assert grades[2].error == "truncated" and grades[2].pred is None
    assert grades[3].error == "extract_failed" and grades[3].pred is None
    assert grades[5].error == "truncated" and grades[5].pred is None
    assert samples[2].truncated and not samples[3].truncated
    assert sample_item(samples[2]) == ("", "4", "length")


def test_row_item_for_plain_rows():
    assert row_item({"response": "<think>x</think>7", "finish_reason": "stop"}, "7") == ("7", "7", "stop")
    assert row_item({"response": "7", "reasoning_closed": False}, "7") == ("", "7", "length")
    assert row_item({"out": "So 7", "fin": "stop"}, "7", response_field="out", finish_field="fin") == \
        ("So 7", "7", "stop")


def test_sample_record_round_trip_keeps_reasoning_fields():
    s = _sample("4", reasoning="r", closed=True)
    s.reasoning_tokens = 12
    d = s.to_dict()
    assert d["reasoning"] == "r" and d["reasoning_closed"] is True and d["reasoning_tokens"] == 12
    assert Sample.from_dict(d) == s
    short = _sample("4").to_dict()
    assert not {"reasoning", "reasoning_closed", "reasoning_tokens"} & set(short)
