"""transformers `generate` backend: batched, length-sorted, left-padded; CPU or GPU.

Reproducibility: transformers has no per-sequence RNG, so each batch is seeded with
`torch.manual_seed(<seed of its first request>)` and that seed is recorded on every
completion of the batch. Reruns give the same text only with the same batch composition
(same problems, batch_size and hardware); vLLM on GPU is the backend with true
per-request seeds.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from mathdistill._optional import require
from mathdistill.sampling.base import Backend, Completion, GenerationRequest, SamplingParams


def _params_key(p: SamplingParams) -> tuple:
    return (p.n, p.temperature, p.top_p, p.max_tokens, tuple(p.stop), p.logprobs)


class LogprobRecorder:
    """Top-K of the raw next-token log-probs (temperature 1, before top-p, as vLLM returns them) and the
    sampled token's log-prob, for every decoding step of one `generate` call, taken from the model's
    forward hooks. generate's own `output_logits` would hold steps x sequences x vocabulary floats;
    this holds two steps' distributions and K numbers per token. The token sampled at step t is the
    input of the forward of step t + 1 (the last one is read from the output sequences)."""

    def __init__(self, model: Any, k: int):
        self.k, self.top_ids, self.top_lp, self.sampled_lp = k, [], [], []
        self._last: Any = None
        self._hooks = [model.register_forward_pre_hook(self._pre, with_kwargs=True),
                       model.register_forward_hook(self._post, with_kwargs=True)]

    def _pre(self, module: Any, args: Any, kwargs: Any) -> None:
        if self._last is None:
            return
        ids = kwargs.get("input_ids", args[0] if args else None)
        self.sampled_lp.append(self._last.gather(-1, ids[:, -1:]).squeeze(-1))

    def _post(self, module: Any, args: Any, kwargs: Any, output: Any) -> None:
        import torch

        lp = torch.log_softmax(output.logits[:, -1, :].float(), -1)
        v, i = lp.topk(min(self.k, lp.shape[-1]), -1)
        self.top_ids.append(i)
        self.top_lp.append(v)
        self._last = lp

    def close(self) -> None:
        for h in self._hooks:
            h.remove()

    def per_row(self, new: Any) -> tuple[list, list, list]:
        """(sampled log-probs [rows][steps], top ids [rows][steps][K], top log-probs) for the generated
        tokens `new` [rows, steps]."""
        import torch

        from mathdistill.errors import BackendError

        steps = new.shape[1]
        if steps and len(self.sampled_lp) == steps - 1 and self._last is not None:
            self.sampled_lp.append(self._last.gather(-1, new[:, -1:].to(self._last.device)).squeeze(-1))
        if not (len(self.top_ids) == len(self.sampled_lp) == steps):
            raise BackendError(f"hf: token log-probs recorded for {len(self.top_ids)} decoding steps, but "
                               f"{steps} tokens were generated (a generate mode without one forward per token)")
        if not steps:
            return [[] for _ in range(new.shape[0])], [[] for _ in range(new.shape[0])], \
                [[] for _ in range(new.shape[0])]
        lp = torch.stack(self.sampled_lp, 1).tolist()
        ids = torch.stack(self.top_ids, 1).tolist()
        tlp = torch.stack(self.top_lp, 1).tolist()
        return lp, ids, tlp


class HFBackend(Backend):
    name = "hf"
    seed_mode = "batch"
    runs_nat = True

    def __init__(self, model: str, batch_size: int = 8, dtype: str = "auto", device: str | None = None,
                 seed: int = 0, **_: Any):
        torch = require("torch", "train")
        transformers = require("transformers", "train")
        self.model = model
        self.batch_size = batch_size
        self.seed = seed
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self._tok = transformers.AutoTokenizer.from_pretrained(model)
        self._tok.padding_side = "left"  # decoder-only: new tokens must follow the prompt directly
        if self._tok.pad_token is None:
            self._tok.pad_token = self._tok.eos_token
        torch_dtype = dtype if dtype == "auto" else getattr(torch, dtype)
        from mathdistill.models.manifest import is_nat_dir

        if is_nat_dir(model):  # NAT: base + both adapters + integration unit
            from mathdistill.models.nat import load_nat

            self._model = load_nat(model, None if torch_dtype == "auto" else torch_dtype)
        else:
            self._model = transformers.AutoModelForCausalLM.from_pretrained(model, dtype=torch_dtype)
        self._model.to(self.device).eval()
        eos = self._model.generation_config.eos_token_id
        eos = eos if isinstance(eos, list) else [eos] if eos is not None else []
        self._eos = set(eos) | {self._tok.eos_token_id}
        self._pad = self._tok.pad_token_id

    @classmethod
    def max_logprobs(cls, options: Any) -> int | None:
        return None  # any K up to the vocabulary

    def tokenizer(self) -> Any:
        return self._tok

    def describe(self) -> dict[str, Any]:
        import transformers

        return {"name": self.name, "model": self.model, "device": self.device, "batch_size": self.batch_size,
                "dtype": str(self._model.dtype), "transformers": transformers.__version__,
                "seed_mode": self.seed_mode}

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Completion]]:
        out: list[list[Completion] | None] = [None] * len(requests)
        groups: dict[tuple, list[int]] = defaultdict(list)
        for i, r in enumerate(requests):  # one generate call needs one n and one set of params
            groups[_params_key(r.params)].append(i)
        for idxs in groups.values():
            lengths = {i: len(self._tok(requests[i].prompt)["input_ids"]) for i in idxs}
            # Longest first: similar lengths share a batch (less padding) and OOM shows up early.
            idxs = sorted(idxs, key=lambda i: -lengths[i])
            for b in range(0, len(idxs), self.batch_size):
                batch = idxs[b:b + self.batch_size]
                for i, comps in zip(batch, self._generate_batch([requests[i] for i in batch]), strict=True):
                    out[i] = comps
        return out  # type: ignore[return-value]

    def _generate_batch(self, reqs: list[GenerationRequest]) -> list[list[Completion]]:
        import torch

        p = reqs[0].params
        seed = p.seed if p.seed is not None else self.seed
        torch.manual_seed(seed)
        enc = self._tok([r.prompt for r in reqs], return_tensors="pt", padding=True).to(self.device)
        # Greedy decoding gives n identical sequences (as in vLLM): decode once, copy.
        n_gen = 1 if p.greedy else p.n
        kw: dict[str, Any] = {"max_new_tokens": p.max_tokens, "num_return_sequences": n_gen,
                              "pad_token_id": self._pad, "eos_token_id": sorted(self._eos)}
        if p.greedy:
            kw.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        else:  # top_k=0 disables transformers' default top-k 50, matching vLLM's sampling
            kw.update(do_sample=True, temperature=p.temperature, top_p=p.top_p, top_k=0)
        if p.stop:
            kw.update(stop_strings=list(p.stop), tokenizer=self._tok)
        recorder = LogprobRecorder(self._model, p.logprobs) if p.logprobs else None
        try:
            with torch.inference_mode():
                seqs = self._model.generate(**enc, **kw)
            new_t = seqs[:, enc["input_ids"].shape[1]:]
            rows = recorder.per_row(new_t) if recorder is not None else None
        finally:
            if recorder is not None:
                recorder.close()
        new = new_t.tolist()
        comps = [self._completion(toks, p, seed) for toks in new]
        if rows is not None:
            from mathdistill.store.logprobs import TokenLogprobs

            for j, (c, toks) in enumerate(zip(comps, new, strict=True)):
                m = self._kept_tokens(toks, c)
                c.logprobs = TokenLogprobs(toks[:m], rows[0][j][:m], rows[1][j][:m], rows[2][j][:m])
        if n_gen == 1 and p.n > 1:
            return [[dataclasses.replace(c) for _ in range(p.n)] for c in comps]
        return [comps[j * p.n:(j + 1) * p.n] for j in range(len(reqs))]

    def _kept_tokens(self, toks: list[int], c: Completion) -> int:
        """Tokens of `toks` behind completion `c`: up to and with the EOS, else every generated one (a
        completion cut at a stop string keeps the tokens that spelled the stop string)."""
        end = next((k for k, t in enumerate(toks) if t in self._eos or t == self._pad), None)
        return len(toks) if end is None else end + 1 if toks[end] in self._eos else end

    def _completion(self, toks: list[int], p: SamplingParams, seed: int) -> Completion:
        end = next((k for k, t in enumerate(toks) if t in self._eos or t == self._pad), None)
        body = toks if end is None else toks[:end]
        text = self._tok.decode(body, skip_special_tokens=True)
        cut = min((i for i in (text.find(s) for s in p.stop) if i >= 0), default=-1)
        if cut >= 0:  # vLLM semantics: the stop string is not part of the output
            return Completion(text[:cut], "stop", len(body), seed)
        if end is not None:
            return Completion(text, "stop", end + 1, seed)  # EOS counts as a generated token
        return Completion(text, "length", len(body), seed)

    def close(self) -> None:
        self._model = None
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:
            pass
