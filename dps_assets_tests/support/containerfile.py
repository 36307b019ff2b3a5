"""The image's contract as deploy/image/Containerfile states it: the final stage's USER and ENV,
which the Helm values' pods rely on (test_helm_values.py) and the built image carries
(test_image.py)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

CONTAINERFILE = Path(__file__).resolve().parents[2] / "deploy" / "image" / "Containerfile"


def final_stage_instructions(path: Path = CONTAINERFILE) -> list[tuple[str, str]]:
    """(instruction, arguments) of the last stage, continuation lines joined, comments left out."""
    text = re.sub(r"\\\n", " ", "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                                          if not line.lstrip().startswith("#")))
    instructions = [tuple(line.strip().split(None, 1)) for line in text.splitlines() if line.strip()]
    last_from = max(index for index, (word, *_) in enumerate(instructions) if word == "FROM")
    return [(word.upper(), rest) for word, rest in instructions[last_from:]]  # type: ignore[misc]


def image_user(path: Path = CONTAINERFILE) -> tuple[int, int]:
    user, group = [rest for word, rest in final_stage_instructions(path) if word == "USER"][-1].split(":")
    return int(user), int(group)


def image_environment(path: Path = CONTAINERFILE) -> dict[str, str]:
    return dict(pair.split("=", 1) for word, rest in final_stage_instructions(path) if word == "ENV"
                for pair in shlex.split(rest))
