"""Which sentence-embedding model the AI worker loads, and the conventions of its family.

    source = resolve(settings.AI_EMBED_MODEL)
    source.path, source.name, source.prefix

AI_EMBED_MODEL is either
  - the name of an installed package that carries a model inside itself (its
    `get_model_path()`, or the first folder in it holding a `config.json`), or
  - a local directory holding a sentence-transformers model (`config.json`, the tokenizer,
    `model.safetensors` or `pytorch_model.bin`, and usually `1_Pooling/config.json`), such
    as a copy of intfloat/multilingual-e5-small a deployment brings with its image.

Nothing is downloaded: a model that is not on disk is an error saying so.

The model is loaded with sentence-transformers, so its own modules (pooling: mean, CLS or
last token; dense projections; normalisation) apply as it was trained. A question is
compared with questions, a symmetric task: a model that defines prompts gets its
similarity prompt (EmbeddingGemma's "STS") on every text; E5 models, which define none,
read "query: " before each text (as the E5 authors advise for symmetric tasks), and
instruction-tuned E5 models an instruction. The name stored beside every vector
(embed_names.model_name) says which model made it, so vectors of different models are
never compared.
"""

import importlib
import re
from dataclasses import dataclass
from pathlib import Path

from apps.support.ai.services.embed_names import looks_like_path, model_name

E5 = re.compile(r"(^|[-_/.])e5([-_.]|$)", re.IGNORECASE)
E5_INSTRUCTION = "Instruct: Given an exam question, retrieve exam questions that ask the same thing\nQuery: "
# Of the prompts a model defines (config_sentence_transformers.json), the one for comparing
# two texts of the same kind; a question is compared with questions.
SYMMETRIC_PROMPTS = ("STS", "sts", "similarity", "query")


class ModelNotFound(Exception):
    """AI_EMBED_MODEL names no model on this machine (the message says what was looked for)."""


@dataclass(frozen=True)
class ModelSource:
    name: str  # stored with each vector (Question.embedding_model)
    path: Path
    prefix: str  # put before every text, for families trained with one and no prompts of their own


def resolve(setting: str) -> ModelSource:
    setting = setting.strip()
    if not setting:
        raise ModelNotFound("AI_EMBED_MODEL is empty: name a model package or a local model directory")
    if looks_like_path(setting):
        path = Path(setting).expanduser()
        if not (path / "config.json").is_file():
            raise ModelNotFound(f"AI_EMBED_MODEL={setting}: no config.json there; give a directory holding a "
                                f"sentence-transformers model")
    else:
        path = _package_model_path(setting)
    name = model_name(setting)
    return ModelSource(name=name, path=path, prefix=family_prefix(name))


def _package_model_path(package: str) -> Path:
    module_name = package.replace("-", "_").lower()
    if module_name.split(".")[0] in ("apps", "tools", "e2e"):
        raise ModelNotFound(f"AI_EMBED_MODEL={package}: a module of this project is not a model package")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise ModelNotFound(f"AI_EMBED_MODEL={package}: no installed package {module_name!r} (install it into "
                            f"the worker's image, or give a local model directory)") from None
    if hasattr(module, "get_model_path"):
        path = Path(module.get_model_path())
        if (path / "config.json").is_file():
            return path
    root = Path(module.__file__).resolve().parent
    for config in sorted(root.rglob("config.json"), key=lambda p: len(p.parts)):
        if (config.parent / "tokenizer_config.json").is_file() or (config.parent / "tokenizer.json").is_file():
            return config.parent
    raise ModelNotFound(f"AI_EMBED_MODEL={package}: the package {module_name!r} carries no model "
                        f"(no folder with config.json and a tokenizer)")


def symmetric_prompt(prompts: dict[str, str], source: ModelSource) -> str:
    """The prompt to put before every question: the model's own for similarity if it
    defines one, else its family's prefix."""
    for key in SYMMETRIC_PROMPTS:
        if prompts.get(key):
            return prompts[key]
    return source.prefix


def family_prefix(name: str) -> str:
    if E5.search(name):
        return E5_INSTRUCTION if "instruct" in name.lower() else "query: "
    return ""
