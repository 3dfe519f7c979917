import json
import os

import pytest

from mathdistill.errors import DataError
from mathdistill.io.jsonl import (
    JsonlAppender,
    done_keys,
    read_jsonl,
    read_records,
    repair_torn_tail,
    write_jsonl,
)
from mathdistill.records import Problem, Sample


def _sample(pid="p1", idx=0, **kw):
    return Sample(problem_id=pid, sample_idx=idx, prompt="Q?", response="The answer is 3.", **kw)


def test_roundtrip_records(tmp_path):
    path = tmp_path / "s.jsonl"
    rows = [_sample(idx=i, correct=i % 2 == 0, meta={"k": i}) for i in range(3)]
    assert write_jsonl(path, rows) == 3
    back = list(read_records(path, Sample))
    assert back == rows


def test_appender_writes_whole_lines_and_resumes(tmp_path):
    path = tmp_path / "s.jsonl"
    with JsonlAppender(path) as out:
        out.write(_sample(idx=0))
        out.write_many([_sample(idx=1), _sample("p2", 0)])
    assert done_keys(path) == {("p1", 0), ("p1", 1), ("p2", 0)}
    # simulate kill -9 in the middle of a line
    with open(path, "a") as f:
        f.write('{"problem_id": "p2", "sample_idx": 1, "pro')
    assert done_keys(path) == {("p1", 0), ("p1", 1), ("p2", 0)}
    with JsonlAppender(path) as out:  # reopening repairs the torn tail
        out.write(_sample("p2", 1))
    lines = path.read_text().splitlines()
    assert len(lines) == 4 and all(json.loads(x) for x in lines)
    assert done_keys(path) == {("p1", 0), ("p1", 1), ("p2", 0), ("p2", 1)}


def test_repair_torn_tail_noop_and_whole_file(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text('{"a": 1}\n')
    assert repair_torn_tail(p) == 0
    p.write_text('{"a": ')
    assert repair_torn_tail(p) == 6 and p.read_text() == ""


def test_malformed_line_names_file_and_line(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"a": 1}\n\n{"a": 2,,}\n')
    with pytest.raises(DataError) as e:
        list(read_jsonl(p))
    assert str(e.value).startswith(f"{p}:3:") and "malformed JSON" in str(e.value)


def test_non_object_line(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('[1, 2]\n')
    with pytest.raises(DataError, match=r":1: expected a JSON object"):
        list(read_jsonl(p))


def test_torn_line_in_the_middle_is_an_error(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"a": 1\n{"a": 2}\n')
    with pytest.raises(DataError, match=":1:"):
        list(read_jsonl(p, allow_torn_tail=True))


@pytest.mark.parametrize(
    "row,field,msg",
    [
        ({"sample_idx": 0, "prompt": "", "response": ""}, "problem_id", "missing"),
        ({"problem_id": "a", "sample_idx": "0", "prompt": "", "response": ""}, "sample_idx", "expected int"),
        ({"problem_id": "a", "sample_idx": 0, "prompt": "", "response": "x", "correct": "yes"}, "correct", "bool"),
        ({"problem_id": "a", "sample_idx": True, "prompt": "", "response": "x"}, "sample_idx", "bool"),
    ],
)
def test_missing_or_mistyped_field(tmp_path, row, field, msg):
    p = tmp_path / "s.jsonl"
    p.write_text(json.dumps({"problem_id": "ok", "sample_idx": 0, "prompt": "", "response": ""}) + "\n"
                 + json.dumps(row) + "\n")
    with pytest.raises(DataError) as e:
        list(read_records(p, Sample))
    s = str(e.value)
    assert s.startswith(f"{p}:2: field '{field}':") and msg in s


def test_problem_empty_answer_is_an_error(tmp_path):
    p = tmp_path / "p.jsonl"
    p.write_text(json.dumps({"id": "1", "question": "q", "answer": "  "}) + "\n")
    with pytest.raises(DataError, match=r":1: field 'answer': is empty"):
        list(read_records(p, Problem))


def test_done_keys_missing_file(tmp_path):
    assert done_keys(tmp_path / "none.jsonl") == set()


def test_gz_reading(tmp_path):
    import gzip

    p = tmp_path / "x.jsonl.gz"
    with gzip.open(p, "wt") as f:
        f.write('{"a": 1}\n{"a": 2}\n')
    assert [o["a"] for _, o in read_jsonl(p)] == [1, 2]
    assert os.path.getsize(p) > 0


# --- unreadable files: one DataError naming the file (and line), never a raw OSError/UnicodeError ----------

def test_non_utf8_line_is_named(tmp_path):
    p = tmp_path / "latin1.jsonl"
    p.write_bytes(b'{"q": "ok"}\n{"q": "caf\xe9"}\n')
    with pytest.raises(DataError, match=r"latin1.jsonl:2: not UTF-8 text \(byte 0xe9"):
        list(read_jsonl(p))


def test_misnamed_gz_is_one_clear_error(tmp_path):
    p = tmp_path / "plain.jsonl.gz"
    p.write_text('{"q": 1}\n')
    with pytest.raises(DataError, match="not a readable gzip file"):
        list(read_jsonl(p))


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(DataError, match="is a directory"):
        list(read_jsonl(tmp_path))


def test_gzip_round_trip_and_crlf(tmp_path):
    import gzip

    p = tmp_path / "ok.jsonl.gz"
    with gzip.open(p, "wt", encoding="utf-8") as f:
        f.write('{"a": 1}\r\n{"b": "é"}\r\n')
    assert [d for _, d in read_jsonl(p)] == [{"a": 1}, {"b": "é"}]


def test_reasoning_fields_round_trip_and_stay_out_of_short_cot_rows():
    plain = Sample("p", 0, "Q", "The answer is 4.")
    assert "reasoning" not in plain.to_dict() and not plain.truncated
    long = Sample("p", 1, "Q", "The answer is 4.", reasoning="2+2=4", reasoning_closed=True, reasoning_tokens=5)
    back = Sample.from_dict(json.loads(json.dumps(long.to_dict())))
    assert back == long and not back.truncated
    cut = Sample("p", 2, "Q", "", finish_reason="length", reasoning="2+2=", reasoning_closed=False)
    assert cut.truncated and Sample.from_dict(cut.to_dict()).reasoning_closed is False
    assert Sample("p", 3, "Q", "", finish_reason="stop", reasoning="x", reasoning_closed=False).truncated
