"""A run with a litellm embedding model whose dimension the harness does not know.

Such an embedder asks the model once for its dimension; the run's store used to ask from the
harness event loop itself and the run died with "run_sync() called from the harness event loop".
"""

from __future__ import annotations

from typing import Any

from runner_helpers import DATA, run

from harness.models._litellm import register_provider
from harness.runner import RunConfig

CHAIN = DATA / "chain.jsonl"


def _embeddings(litellm: Any) -> Any:
    class Embeddings(litellm.CustomLLM):
        async def aembedding(self, model: str, input: list, model_response: Any, *a, **kw):
            model_response.data = [
                {"object": "embedding", "index": i, "embedding": [len(t), 1.0, t.count("e")]}
                for i, t in enumerate(input)
            ]
            model_response.model = model
            return model_response

    return Embeddings()


def test_a_run_with_an_embedder_of_unknown_dimension_finishes(db_path):
    register_provider("dimless", _embeddings)
    config = RunConfig(
        dataset=str(CHAIN), model="baseline/oracle", matcher="exact", embedder="dimless/any",
        n_resamples=0,
    )  # fmt: skip
    result = run(config, db_path)
    assert result.status == "finished"
    assert result.errors == 0
    assert result.metrics["micro_f1"].value == 1.0
