"""Tiny random-weight models with tokenizers trained here, so the decoding loop runs in seconds.

Two models with *different* tokenizers stand in for a draft and a verifier that split text
differently: the draft uses SentencePiece-style Metaspace BPE (so its random output decodes to clean
text), the verifier byte-level BPE. A module of its own, so a test imports it by name (a package
called ``tests`` installed by another project must not shadow this folder).
"""

from __future__ import annotations

from pathlib import Path

CORPUS = [
    "the doctor and the nurse went to the temple and the mosque near the village",
    "a farmer and a teacher from the city talked about work, school, money and family",
    "she said he was kind; they were happy to help the neighbours with the harvest",
    "Dalit and Brahmin, Hindu and Muslim, men and women: everyone is equal before the law",
    "what should I expect at the interview for the bank job? describe the family.",
] * 20


def _tokenizer(kind: str):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "<s>", "</s>", "<unk>"]
    if kind == "bytes":
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    else:
        tok = Tokenizer(models.BPE(unk_token="<unk>"))
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        tok.decoder = decoders.Metaspace()
        trainer = trainers.BpeTrainer(vocab_size=250, special_tokens=specials)
    tok.train_from_iterator(CORPUS, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", bos_token="<s>", eos_token="</s>", unk_token="<unk>")


def make_tiny_model(folder: Path, kind: str, seed: int, context: int = 2048) -> Path:
    """Save a 2-layer random Llama with a freshly trained tokenizer into ``folder``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = _tokenizer(kind)
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=context, pad_token_id=0, bos_token_id=1, eos_token_id=2,
    )
    model = LlamaForCausalLM(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
