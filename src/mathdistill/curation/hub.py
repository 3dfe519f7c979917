"""Optional upload of a curated folder to the Hugging Face Hub (off unless --push-to-hub)."""

from __future__ import annotations

from pathlib import Path

from mathdistill.errors import MathdistillError


def push(out: Path, repo: str, *, private: bool = True, files: list[str] | None = None) -> str:
    """Upload the JSONL files, README.md, stats.json, config.yaml and plots as a dataset repo."""
    from mathdistill._optional import require

    hf = require("huggingface_hub", "train")
    allow = (files or []) + ["README.md", "stats.json", "config.yaml", "*.png"]
    try:
        api = hf.HfApi()
        api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True)
        api.upload_folder(folder_path=str(out), repo_id=repo, repo_type="dataset", allow_patterns=allow)
    except Exception as e:  # network / auth: one clear line
        raise MathdistillError(f"push to the Hub failed for '{repo}' ({type(e).__name__}: {e})") from e
    return f"https://huggingface.co/datasets/{repo}"
