"""How much and with which seed the fuzz suite generates.

The plugin (``flowise_conformance.plugins.fuzz``) sets these from ``--seed`` and
``--fuzz-examples`` in every process (controller and xdist workers) before the fuzz modules
are imported; the environment variables are the fallback for other ways of running them.
Same seed, same generated requests: schemathesis derives each operation's seed from the run
seed and the operation, and no example database is used.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace

DEFAULT_SEED = 4242
DEFAULT_EXAMPLES = 8  # fuzzing-phase examples per operation (the examples and coverage phases come on top)
MAX_EXAMPLES = 10_000
ENV_SEED = "FC_FUZZ_SEED"
ENV_EXAMPLES = "FC_FUZZ_EXAMPLES"
ENV_DEEP = "FC_FUZZ_DEEP"


@dataclass(frozen=True)
class FuzzSettings:
    seed: int = DEFAULT_SEED
    examples: int = DEFAULT_EXAMPLES
    deep: bool = False  # also the coverage phase's invalid cases (about 2,300 more requests)

    @property
    def stateful_examples(self) -> int:
        """Scenarios of each stateful family (each a few linked calls)."""
        return max(2, self.examples)

    @property
    def stateful_steps(self) -> int:
        return 6


def parse_seed(value: str | int) -> int:
    try:
        seed = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"the seed must be an integer, got {value!r}") from None
    if not 0 <= seed < 2**64:
        raise ValueError(f"the seed must be in [0, 2**64), got {seed}")
    return seed


def parse_examples(value: str | int) -> int:
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"--fuzz-examples must be an integer, got {value!r}") from None
    if not 1 <= count <= MAX_EXAMPLES:
        raise ValueError(f"--fuzz-examples must be in [1, {MAX_EXAMPLES}], got {count}")
    return count


def from_env(env: dict[str, str] | None = None) -> FuzzSettings:
    env = dict(os.environ) if env is None else env
    found = FuzzSettings()
    if env.get(ENV_SEED):
        found = replace(found, seed=parse_seed(env[ENV_SEED]))
    if env.get(ENV_EXAMPLES):
        found = replace(found, examples=parse_examples(env[ENV_EXAMPLES]))
    if env.get(ENV_DEEP):
        found = replace(found, deep=env[ENV_DEEP] == "1")
    return found


def configure(settings: FuzzSettings) -> None:
    """Make ``settings`` current for this process and the workers it starts."""
    os.environ[ENV_SEED] = str(settings.seed)
    os.environ[ENV_EXAMPLES] = str(settings.examples)
    os.environ[ENV_DEEP] = "1" if settings.deep else "0"


def current() -> FuzzSettings:
    return from_env()
