"""Loss modules with tensor contracts of their own, tested against brute-force references (kd: top-K
logit distillation)."""
