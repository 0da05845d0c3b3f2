"""Leak-free splits: copies of a photo are grouped and dealt whole: no test image copies a training one."""

import hashlib
from collections import Counter, defaultdict

import numpy as np
from PIL import Image

from helpers.constants import SPLITS


def stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def difference_hash(gray: Image.Image) -> int:
    """64-bit dHash: equal for resized or re-encoded copies of the same photo."""
    pixels = np.asarray(gray.resize((9, 8), Image.Resampling.BILINEAR), dtype=np.int16)
    return int(np.packbits(pixels[:, 1:] > pixels[:, :-1]).view(">u8")[0])


def near_pairs(hashes: list[int], max_bits: int = 2, block: int = 64) -> list[tuple[int, int]]:
    """Every pair (i < j) of 64-bit hashes at most max_bits apart, in blocks of rows to keep memory small."""
    values, pairs = np.array(hashes, dtype=np.uint64), []
    for start in range(0, len(values), block):
        xor = values[start : start + block, None] ^ values[None, :]
        bits = np.unpackbits(xor.view(np.uint8), axis=-1).reshape(*xor.shape, 64).sum(axis=-1)  # set bits
        pairs.extend(np.argwhere(np.triu(bits <= max_bits, start + 1)) + (start, 0))  # column > row: once
    return [(int(i), int(j)) for i, j in pairs]


def duplicate_groups(sha1: list[str], hashes: list[int], max_bits: int = 2) -> list[int]:
    """Group id per image: identical files (same sha1) and copies (dHashes <= max_bits apart) share one."""
    parent = list(range(len(sha1)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = i = parent[parent[i]]
        return i

    same_file = {digest: i for i, digest in enumerate(sha1)}  # one image per sha1, joined by all the others
    for i, j in [(i, same_file[d]) for i, d in enumerate(sha1)] + near_pairs(hashes, max_bits):
        parent[find(i)] = find(j)
    return [find(i) for i in range(len(sha1))]


def assign_splits(
    labels: list[str], groups: list[int], keys: list[str], fractions: tuple[float, ...] = (0.7, 0.15, 0.15)
) -> list[str]:
    """Whole groups, in the order of a hash of their keys, each to the first split with room for its class."""
    members: dict[int, list[int]] = defaultdict(list)
    for i, group in enumerate(groups):
        members[group].append(i)
    totals, filled, result = Counter(labels), Counter(), [""] * len(labels)
    for idx in sorted(members.values(), key=lambda idx: stable_hash(min(keys[i] for i in idx))):
        label = Counter(labels[i] for i in idx).most_common(1)[0][0]
        quota = {s: f * totals[label] for s, f in zip(SPLITS, fractions, strict=True)}
        split = next((s for s in SPLITS[:-1] if filled[(s, label)] + len(idx) / 2 <= quota[s]), "test")
        for i in idx:
            result[i] = split
            filled[(split, labels[i])] += 1
    return result
