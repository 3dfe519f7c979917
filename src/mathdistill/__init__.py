"""mathdistill: distill math reasoning from teacher LLMs, using correct *and* incorrect samples.

Importing the package is cheap: torch, transformers, vllm and ray are imported only
inside the backends and recipes that need them.
"""

__version__ = "0.1.0"

from mathdistill.errors import MathdistillError
from mathdistill.records import Problem, Sample

__all__ = ["MathdistillError", "Problem", "Sample", "__version__"]
