"""NAT: dual LoRA + integration unit (TDG, methods.md 3.4 and 4.15).

Every target linear layer W becomes a NATLinear holding a frozen negative LoRA (from a
`--method neg` run), a trainable positive LoRA and an integration unit:

  h0 = W x;  h_pos = h0 + s B_pos A_pos drop(x);  h_neg = h0 + s B_neg A_neg drop(x)
  q = W_Q x;  k_j = W_K h_j;  v_j = W_V2 GELU(W_V1 h_j);  p = softmax(<q, k_j> / T)
  alpha_neg = 2 beta p_neg - beta;  alpha_pos = 1 - alpha_neg;  y = h0 + alpha_pos v_pos + alpha_neg v_neg

W_V2 starts at zero, so a fresh NAT model computes exactly the base model. W_K and W_V1
read h_j (width d_out), W_Q reads x (width d_in), so layers with d_in != d_out (GQA k/v)
work too. Modes: "mix" (NAT), "neg" (base + LoRA-neg only, NCE's negative teacher),
"base". A NAT directory saves both adapters and the unit in one file, loaded strictly, so
the negative adapter can never be dropped silently (the TDG code's NCE bug, methods.md 3.5).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mathdistill._optional import require
from mathdistill.models.manifest import NAT_CONFIG

torch = require("torch", "train")
nn = torch.nn

NAT_WEIGHTS = "nat_weights.safetensors"
MODES = ("mix", "neg", "base")


class NATLinear(nn.Module):
    def __init__(self, base: Any, r: int, lora_alpha: float, dropout: float, bottleneck: int = 128,
                 beta: float = 0.5, temperature: float = 1.0):
        super().__init__()
        d_in, d_out = base.in_features, base.out_features
        self.base = base
        self.scaling = lora_alpha / r
        self.beta, self.temperature = beta, temperature
        self.dropout = nn.Dropout(dropout)  # one module, called per branch: independent masks
        self.lora_A_pos, self.lora_B_pos = nn.Linear(d_in, r, bias=False), nn.Linear(r, d_out, bias=False)
        self.lora_A_neg, self.lora_B_neg = nn.Linear(d_in, r, bias=False), nn.Linear(r, d_out, bias=False)
        self.W_Q = nn.Linear(d_in, bottleneck, bias=False)
        self.W_K = nn.Linear(d_out, bottleneck, bias=False)
        self.W_V1 = nn.Linear(d_out, bottleneck, bias=False)
        self.W_V2 = nn.Linear(bottleneck, d_out, bias=False)
        # nn.Linear's default init is Kaiming-uniform(a=sqrt(5)) as in the paper's code; B and W_V2 start at 0.
        for m in (self.lora_B_pos, self.lora_B_neg, self.W_V2):
            nn.init.zeros_(m.weight)
        self.to(base.weight.device)
        self.mode = "mix"
        self.last_alpha_neg: Any = None

    def _lora(self, x: Any, a: Any, b: Any) -> Any:
        return b(a(self.dropout(x))) * self.scaling

    def forward(self, x: Any) -> Any:
        h0 = self.base(x)
        if self.mode == "base":
            return h0
        dt = h0.dtype
        xf, h0f = x.float(), h0.float()  # adapter math in fp32 when the base runs in bf16/fp16
        h_neg = h0f + self._lora(xf, self.lora_A_neg, self.lora_B_neg)
        if self.mode == "neg":
            return h_neg.to(dt)
        h_pos = h0f + self._lora(xf, self.lora_A_pos, self.lora_B_pos)
        q = self.W_Q(xf)
        e = torch.stack([(q * self.W_K(h_pos)).sum(-1), (q * self.W_K(h_neg)).sum(-1)], -1) / self.temperature
        p_neg = torch.softmax(e, dim=-1)[..., 1:]
        alpha_neg = 2 * self.beta * p_neg - self.beta
        v_pos = self.W_V2(nn.functional.gelu(self.W_V1(h_pos)))
        v_neg = self.W_V2(nn.functional.gelu(self.W_V1(h_neg)))
        self.last_alpha_neg = alpha_neg.detach().mean()
        return (h0f + (1 - alpha_neg) * v_pos + alpha_neg * v_neg).to(dt)


def nat_modules(model: Any) -> dict[str, NATLinear]:
    return {n: m for n, m in model.named_modules() if isinstance(m, NATLinear)}


def set_mode(model: Any, mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"NAT mode must be one of {MODES}, got {mode!r}")
    for m in nat_modules(model).values():
        m.mode = mode


def mean_alpha_neg(model: Any) -> float | None:
    vals = [m.last_alpha_neg for m in nat_modules(model).values() if m.last_alpha_neg is not None]
    return float(torch.stack(vals).mean()) if vals else None


def wrap(model: Any, targets: list[str], r: int, lora_alpha: float, dropout: float, bottleneck: int,
         beta: float, temperature: float) -> list[str]:
    """Replace every target Linear (matched by the last name component) in place; freeze the rest."""
    for p in model.parameters():
        p.requires_grad_(False)
    names = [n for n, m in model.named_modules() if n.rsplit(".", 1)[-1] in targets and isinstance(m, nn.Linear)]
    for n in names:
        parent_name, _, child = n.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, NATLinear(getattr(parent, child), r, lora_alpha, dropout, bottleneck, beta,
                                         temperature))
    for m in nat_modules(model).values():
        for p in (m.lora_A_neg.weight, m.lora_B_neg.weight):
            p.requires_grad_(False)  # frozen explicitly: the negative knowledge is an input, not a target
        for sub in (m.lora_A_pos, m.lora_B_pos, m.W_Q, m.W_K, m.W_V1, m.W_V2):
            sub.weight.requires_grad_(True)
    return names


def load_negative_adapter(model: Any, adapter_dir: str | Path) -> int:
    """Copy A/B of a PEFT LoRA (our `neg` output) into every NATLinear's negative branch."""
    from safetensors.torch import load_file

    from mathdistill.errors import MathdistillError

    d = Path(adapter_dir)
    f = d / "adapter_model.safetensors"
    if not f.exists():
        raise MathdistillError(f"{d}: not a LoRA adapter directory (no adapter_model.safetensors); "
                               "train one with --method neg --lora-r 8")
    sd = load_file(str(f))
    mods = nat_modules(model)
    done = 0
    for name, m in mods.items():
        key = next((k for k in sd if k.endswith(f"{name}.lora_A.weight")), None)
        bkey = key.replace("lora_A", "lora_B") if key else None
        if key is None or bkey not in sd:
            raise MathdistillError(f"{d}: the negative adapter has no LoRA weights for {name}; "
                                   "train NAT with the neg adapter's target modules")
        if sd[key].shape != m.lora_A_neg.weight.shape:
            raise MathdistillError(f"{d}: LoRA rank/shape of {name} is {tuple(sd[key].shape)}, NAT expects "
                                   f"{tuple(m.lora_A_neg.weight.shape)} (use the neg adapter's --lora-r)")
        with torch.no_grad():
            m.lora_A_neg.weight.copy_(sd[key])
            m.lora_B_neg.weight.copy_(sd[bkey])
        done += 1
    return done


def adapter_settings(adapter_dir: str | Path) -> dict[str, Any]:
    cfg = json.loads((Path(adapter_dir) / "adapter_config.json").read_text())
    return {"r": cfg["r"], "lora_alpha": cfg["lora_alpha"], "target_modules": sorted(cfg["target_modules"]),
            "base": cfg.get("base_model_name_or_path")}


def nat_state(model: Any) -> dict[str, Any]:
    return {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()
            if any(t in k for t in ("lora_A_", "lora_B_", ".W_Q.", ".W_K.", ".W_V1.", ".W_V2."))}


def save_nat(model: Any, out: str | Path, config: dict[str, Any]) -> None:
    from safetensors.torch import save_file

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    save_file(nat_state(model), str(out / NAT_WEIGHTS))
    (out / NAT_CONFIG).write_text(json.dumps(config, indent=1))


def load_nat_weights(model: Any, ckpt: str | Path) -> None:
    """Strict: every NAT tensor must be in the file and every file tensor must have a home."""
    from safetensors.torch import load_file

    from mathdistill.errors import MathdistillError

    sd = load_file(str(Path(ckpt) / NAT_WEIGHTS))
    want = set(nat_state(model))
    missing, extra = want - set(sd), set(sd) - want
    if missing or extra:
        raise MathdistillError(f"{ckpt}: NAT weights do not match the model "
                               f"(missing {sorted(missing)[:3]}, unexpected {sorted(extra)[:3]})")
    model.load_state_dict(sd, strict=False)


def build_nat(base_path: str, config: dict[str, Any], dtype: Any = None, attn_implementation: str | None = None) -> Any:
    from mathdistill.models.loading import load_base

    model = load_base(base_path, dtype or torch.float32, attn_implementation)
    wrap(model, config["target_modules"], config["r"], config["lora_alpha"], config.get("lora_dropout", 0.0),
         config["bottleneck"], config["beta"], config["temperature"])
    return model


def load_nat(path: str | Path, dtype: Any = None, device: str | None = None,
             attn_implementation: str | None = None) -> Any:
    """A saved NAT model (both adapters + integration unit) in eval mode, mode "mix"."""
    from mathdistill.models import resolve_model

    path = Path(path)
    config = json.loads((path / NAT_CONFIG).read_text())
    model = build_nat(resolve_model(config["base_model"]), config, dtype, attn_implementation)
    load_nat_weights(model, path)
    if device:
        model.to(device)
    return model.eval()
