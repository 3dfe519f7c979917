"""The teacher's token log-probabilities beside a samples folder (`sample --logprobs K`).

Per generated token the sampler keeps the sampled token and the teacher's top-K (token, log-prob),
for offline logit distillation (`train --method kd`). JSON lists would cost ~20 bytes a number;
these files hold fixed binary records instead:

  logprobs.bin          one record per generated token, samples one after another (append-only):
                        int32 sampled id, int32[K] top ids, float16 sampled log-prob, float16[K] top
                        log-probs, little-endian: 6 + 6K bytes (K=5: 36 B, K=20: 126 B a token).
                        A top list shorter than K (a small vocabulary, a server that sent fewer) is
                        padded with id -1 and log-prob -inf.
  logprobs.index.jsonl  one line per sample: problem_id, sample_idx, offset and length (in records)
                        into logprobs.bin, and `sha`, a digest of the sample's response text.
  logprobs.json         K, the token kind, the teacher's vocabulary digest, the record layout.
  logprobs.strings.jsonl  only for a server that sends token strings and no ids: the strings, in the
                        order of the local ids the records hold (mapped onto a student's vocabulary
                        at training time).

Log-probs are the model's raw distribution (temperature 1, before top-p), as vLLM returns them by
default, so samples drawn at any temperature give the same targets.

Kill-safety (the samples' guarantee, extended): a batch's strings, then its records, then its index
lines are written and flushed before the batch's lines reach samples.jsonl. Reopening for writing
keeps only index lines whose sample line exists and cuts logprobs.bin after the last of them, so
after kill -9 and a rerun a sample's log-probs exist iff its line exists. The `sha` of each entry
ties it to its sample: a sidecar copied beside another samples.jsonl is refused, not misread.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from mathdistill.errors import ConfigError, DataError
from mathdistill.io.atomic import read_json, write_json_atomic
from mathdistill.io.jsonl import JsonlAppender, read_jsonl, write_jsonl

BIN, INDEX, META, STRINGS = "logprobs.bin", "logprobs.index.jsonl", "logprobs.json", "logprobs.strings.jsonl"
FILES = (BIN, INDEX, META, STRINGS)
FORMAT = 1
PAD_ID = -1
# Token kinds: "id" (the model's token ids: hf, vllm, a vLLM server asked for ids) or "string" (what
# an OpenAI-compatible server sends without ids: the decoded piece of each token).
KINDS = ("id", "string")


def record_dtype(k: int) -> Any:
    import numpy as np

    return np.dtype([("id", "<i4"), ("top_ids", "<i4", (k,)), ("lp", "<f2"), ("top_lp", "<f2", (k,))])


def bytes_per_token(k: int) -> int:
    return 6 + 6 * k


def text_sha(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def vocab_digest(vocab: Mapping[str, int]) -> str:
    """One key for a tokenizer's vocabulary (token -> id, added tokens included): equal keys, the
    same ids for the same tokens, whatever the tokenizers are called."""
    blob = json.dumps(sorted(vocab.items(), key=lambda kv: (kv[1], kv[0])), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def tokenizer_vocab(tok: Any) -> dict[str, Any] | None:
    """{"digest", "size"} of a tokenizer's vocabulary, None without a tokenizer."""
    if tok is None or not hasattr(tok, "get_vocab"):
        return None
    vocab = tok.get_vocab()
    return {"digest": vocab_digest(vocab), "size": len(vocab)}


@dataclass
class TokenLogprobs:
    """One completion's tokens: `ids[i]` the i-th sampled token (an int id, or a str from a server that
    sends no ids), `logprobs[i]` its log-prob, `top_ids[i]`/`top_logprobs[i]` the top-K of position i,
    most likely first."""

    ids: list[Any]
    logprobs: list[float]
    top_ids: list[list[Any]]
    top_logprobs: list[list[float]]

    def __post_init__(self) -> None:
        n = len(self.ids)
        if not (len(self.logprobs) == len(self.top_ids) == len(self.top_logprobs) == n):
            raise ValueError(f"token log-probs of unequal lengths: {n} ids, {len(self.logprobs)} log-probs, "
                             f"{len(self.top_ids)} top lists, {len(self.top_logprobs)} top log-prob lists")

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def kind(self) -> str:
        first = next((t for t in self.ids if t is not None), None)
        return "string" if isinstance(first, str) else "id"

    def cut(self, n: int) -> TokenLogprobs:
        """The first n tokens (a completion cut at a stop string keeps the tokens up to it)."""
        return TokenLogprobs(self.ids[:n], self.logprobs[:n], self.top_ids[:n], self.top_logprobs[:n])


class LogprobsWriter:
    """Appends one batch of samples' token log-probs at a time; see the module doc for the order.

    Open it before the samples appender and `write_many` each batch before the batch's sample lines."""

    def __init__(self, folder: str | os.PathLike, k: int, *, kind: str, vocab: dict[str, Any] | None,
                 sample_keys: Iterable[tuple[str, int]], hint: str = "use --overwrite or another --out"):
        if k < 1:
            raise ConfigError(f"logprobs K must be >= 1, got {k}")
        if kind not in KINDS:
            raise ConfigError(f"logprobs token kind must be one of {KINDS}, got {kind!r}")
        self.path = Path(folder)
        self.k, self.kind, self.vocab = k, kind, vocab
        self._dtype = record_dtype(k)
        keys = set(sample_keys)
        meta = read_json(self.path / META) if (self.path / META).exists() else None
        if meta:
            self._check_meta(meta, hint)
        elif keys:
            raise ConfigError(f"{self.path} holds {len(keys)} samples without token log-probs (sampled without "
                              f"--logprobs); {hint}")
        self._strings: dict[str, int] = {}
        self._offset = self._reconcile(keys, hint)
        write_json_atomic(self.path / META, self.meta())
        if (self.path / BIN).exists():  # a torn record, or those of samples that never got their line
            os.truncate(self.path / BIN, self._offset * self._dtype.itemsize)
        self._bin = open(self.path / BIN, "ab")  # noqa: SIM115 -- open for the writer's life, closed by close()
        self._index = JsonlAppender(self.path / INDEX)
        self._string_out = JsonlAppender(self.path / STRINGS) if kind == "string" else None

    def meta(self) -> dict[str, Any]:
        return {"format": FORMAT, "k": self.k, "kind": self.kind, "vocab": self.vocab,
                "record": {"bytes": self._dtype.itemsize, "layout": "int32 id, int32[k] top_ids, float16 lp, "
                                                                     "float16[k] top_lp (little-endian)"},
                "logprobs": "raw (temperature 1, before top-p)"}

    def _check_meta(self, meta: dict[str, Any], hint: str) -> None:
        old = {"k": meta.get("k"), "kind": meta.get("kind"), "vocab": (meta.get("vocab") or {}).get("digest")}
        new = {"k": self.k, "kind": self.kind, "vocab": (self.vocab or {}).get("digest")}
        diffs = [f"{f}: {old[f]!r} -> {new[f]!r}" for f in old if old[f] != new[f]]
        if diffs:
            raise ConfigError(f"{self.path / META} holds token log-probs made with other settings "
                              f"({'; '.join(diffs)}); {hint}")

    def _reconcile(self, keys: set[tuple[str, int]], hint: str) -> int:
        """Keep the index lines of samples on disk, cut the rest; return the records kept."""
        index_file = self.path / INDEX
        kept, dropped, end = [], 0, 0
        if index_file.exists():
            for _, d in read_jsonl(index_file, allow_torn_tail=True):
                if (str(d["problem_id"]), int(d["sample_idx"])) in keys:
                    kept.append(d)
                    end = max(end, int(d["offset"]) + int(d["tokens"]))
                else:
                    dropped += 1
            if dropped:
                write_jsonl(index_file, kept)
        missing = len(keys) - len({(str(d["problem_id"]), int(d["sample_idx"])) for d in kept})
        if missing:
            raise ConfigError(f"{self.path}: {missing} samples have no token log-probs in {INDEX} (the sidecar "
                              f"is incomplete or from another run); {hint}")
        size = (self.path / BIN).stat().st_size if (self.path / BIN).exists() else 0
        if size < end * self._dtype.itemsize:
            raise DataError(self.path / BIN, None, None, f"{size} bytes, but its index needs "
                                                         f"{end * self._dtype.itemsize}: the file was cut")
        if self.kind == "string" and (self.path / STRINGS).exists():
            for _, d in read_jsonl(self.path / STRINGS, allow_torn_tail=True):
                self._strings[d["s"]] = len(self._strings)
        return end

    def _local(self, tok: Any, new: list[str]) -> int:
        if tok is None:
            return PAD_ID
        i = self._strings.get(tok)
        if i is None:
            i = self._strings[tok] = len(self._strings)
            new.append(tok)
        return i

    def _records(self, tl: TokenLogprobs, new_strings: list[str]) -> Any:
        import numpy as np

        rec = np.zeros(len(tl), dtype=self._dtype)
        if self.kind == "id" and None not in tl.ids and all(len(t) == self.k for t in tl.top_ids):
            if len(tl):  # the common case: no loop over tokens
                rec["id"], rec["lp"] = tl.ids, tl.logprobs
                rec["top_ids"], rec["top_lp"] = tl.top_ids, tl.top_logprobs
            return rec
        rec["top_ids"], rec["top_lp"] = PAD_ID, -np.inf
        for i in range(len(tl)):
            tid, top, tlp = tl.ids[i], tl.top_ids[i][:self.k], tl.top_logprobs[i][:self.k]
            if self.kind == "string":
                tid, top = self._local(tid, new_strings), [self._local(t, new_strings) for t in top]
            rec["id"][i] = PAD_ID if tid is None else tid
            rec["top_ids"][i, :len(top)] = top
            rec["top_lp"][i, :len(tlp)] = tlp
            rec["lp"][i] = tl.logprobs[i]
        return rec

    def write_many(self, items: Sequence[tuple[tuple[str, int], str, TokenLogprobs]]) -> None:
        """Append ((problem_id, sample_idx), response text, token log-probs) for each sample of a batch."""
        new_strings: list[str] = []
        entries, chunks = [], []
        offset = self._offset
        for (pid, idx), text, tl in items:
            if len(tl) and tl.kind != self.kind:
                raise ConfigError(f"sample {pid}#{idx}: token {tl.kind}s where this sidecar holds {self.kind}s")
            chunks.append(self._records(tl, new_strings))
            entries.append({"problem_id": pid, "sample_idx": idx, "offset": offset, "tokens": len(tl),
                            "sha": text_sha(text)})
            offset += len(tl)
        if self._string_out is not None and new_strings:
            self._string_out.write_many({"s": s} for s in new_strings)
        for rec in chunks:
            self._bin.write(rec.tobytes())
        self._bin.flush()
        self._index.write_many(entries)  # last: an index line points only at whole records
        self._offset = offset

    def close(self) -> None:
        self._bin.close()
        self._index.close()
        if self._string_out is not None:
            self._string_out.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LogprobsReader:
    """A samples folder's token log-probs, read-only: `get(key)` gives a record array (fields id,
    top_ids, lp, top_lp) or None."""

    def __init__(self, folder: str | os.PathLike):
        import numpy as np

        self.path = Path(folder)
        meta_file = self.path / META
        if not meta_file.exists() or not (self.path / INDEX).exists():
            raise DataError(meta_file, None, None, "no token log-probs here (sample the teacher with --logprobs K)")
        meta = read_json(meta_file)
        if not isinstance(meta, dict) or not isinstance(meta.get("k"), int) or meta.get("kind") not in KINDS:
            raise DataError(meta_file, None, None, "not a token log-probs header (missing k or kind)")
        self.meta = meta
        self.k, self.kind = int(meta["k"]), str(meta["kind"])
        self.vocab: dict[str, Any] | None = meta.get("vocab")
        self.index: dict[tuple[str, int], dict[str, Any]] = {}
        for _, d in read_jsonl(self.path / INDEX, allow_torn_tail=True):
            self.index[(str(d["problem_id"]), int(d["sample_idx"]))] = d
        self._dtype = record_dtype(self.k)
        size = (self.path / BIN).stat().st_size if (self.path / BIN).exists() else 0
        end = max((int(d["offset"]) + int(d["tokens"]) for d in self.index.values()), default=0)
        if size < end * self._dtype.itemsize:
            raise DataError(self.path / BIN, None, None, f"{size} bytes, but its index needs "
                                                         f"{end * self._dtype.itemsize}: the file was cut")
        self._data = np.memmap(self.path / BIN, dtype=self._dtype, mode="r") if size else np.zeros(0, self._dtype)
        self.strings: list[str] | None = None
        if self.kind == "string":
            self.strings = [d["s"] for _, d in read_jsonl(self.path / STRINGS, allow_torn_tail=True)] \
                if (self.path / STRINGS).exists() else []

    def __len__(self) -> int:
        return len(self.index)

    def get(self, key: tuple[str, int]) -> Any:
        d = self.index.get(key)
        if d is None:
            return None
        o, n = int(d["offset"]), int(d["tokens"])
        return self._data[o:o + n]

    def check_samples(self, responses: Mapping[tuple[str, int], str]) -> list[tuple[str, int]]:
        """Keys whose sample (response text) is not the one the log-probs were recorded for: a sidecar
        from another sample set, or a samples.jsonl edited since."""
        return [key for key, d in self.index.items()
                if key in responses and d.get("sha") != text_sha(responses[key])]


def clear(folder: str | os.PathLike) -> None:
    """Remove the sidecar (`sample --overwrite`)."""
    for name in FILES:
        (Path(folder) / name).unlink(missing_ok=True)
