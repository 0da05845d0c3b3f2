"""Splitting without leaks: datasets hold a photo twice (re-encoded, resized, recoloured), and a copy of a
training image in the test set flatters the model. So copies are grouped, and whole groups dealt to splits."""

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


def near_pairs(hashes: list[int], max_bits: int = 2, block: int = 512) -> list[tuple[int, int]]:
    """Every pair (i < j) of 64-bit hashes at most max_bits apart, in blocks of rows to keep memory small."""
    values, pairs = np.array(hashes, dtype=np.uint64), []
    ones = np.array([bin(byte).count("1") for byte in range(256)], dtype=np.uint8)  # set bits of each byte
    for start in range(0, len(values), block):
        xor = values[start : start + block, None] ^ values[None, :]
        bits = ones[xor.view(np.uint8)].reshape(*xor.shape, 8).sum(axis=-1)
        pairs.extend(np.argwhere(np.triu(bits <= max_bits, start + 1)) + (start, 0))  # column > row: once
    return [(int(i), int(j)) for i, j in pairs]


def duplicate_groups(sha1: list[str], hashes: list[int], max_bits: int = 2) -> list[int]:
    """Group id per image: identical files (same sha1) and near-identical copies (dHashes at most max_bits
    apart: resized, re-encoded, brightened or recoloured versions of one photo) share a group."""
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
    """Stratified, leak-free, stable: whole groups are dealt in the order of a hash of their keys (e.g. sha1),
    each to the first split whose quota for its class is not full yet."""
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
