"""What a model folder is, for every stage that is handed one.

  registry   names: the embedded default (`smollm2`), HF ids and local paths
  manifest   what a trained folder says about itself (manifest, the prompt it expects, NAT or not)
  prepare    `--model` -> what a backend loads (PEFT adapters merged once, NAT only where it runs)
  loading    a causal LM and its tokenizer from a folder
  nat        the NAT architecture (dual LoRA + integration unit), built, saved and loaded
"""

from mathdistill.models.registry import resolve_model

__all__ = ["resolve_model"]
