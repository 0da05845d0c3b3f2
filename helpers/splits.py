"""Splitting without leaks. Face datasets hold the same photo twice (re-encoded, resized, recoloured), and a
model tested on a copy of a training image looks better than it is: duplicate_groups finds identical files
(sha1) and near-identical images (perceptual dHash), assign_splits deals whole groups by a content hash."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict

import numpy as np
from PIL import Image

from helpers.constants import SPLITS

SPLIT_FRACTIONS: tuple[float, float, float] = (0.70, 0.15, 0.15)


def stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def difference_hash(gray: Image.Image) -> int:
    """64-bit dHash: equal for resized or re-encoded copies of the same photo."""
    pixels = np.asarray(gray.resize((9, 8), Image.Resampling.BILINEAR), dtype=np.int16)
    bits = (pixels[:, 1:] > pixels[:, :-1]).flatten()
    return int(np.packbits(bits).view(">u8")[0])


_BIT_COUNT = np.array([bin(byte).count("1") for byte in range(256)], dtype=np.uint8)


def near_pairs(hashes: list[int], max_bits: int = 2, block: int = 512) -> list[tuple[int, int]]:
    """Every pair (i < j) of 64-bit hashes at most max_bits apart, all pairs compared a block of rows at a
    time so memory stays small (4,000 images: under a second)."""
    values, pairs = np.array(hashes, dtype=np.uint64), []
    for start in range(0, len(values), block):
        xor = values[start : start + block, None] ^ values[None, :]
        bits = _BIT_COUNT[xor.view(np.uint8)].reshape(*xor.shape, 8).sum(axis=-1)
        close = np.argwhere(np.triu(bits <= max_bits, start + 1)) + (start, 0)  # column > row: each pair once
        pairs += [(int(i), int(j)) for i, j in close]
    return pairs


def duplicate_groups(sha1: list[str], hashes: list[int], max_bits: int = 2) -> list[int]:
    """Group id per image: identical files (same sha1), and near-identical copies (dHashes at most max_bits
    apart: resized, re-encoded, brightened or recoloured versions of one photo), share a group."""
    parent = list(range(len(sha1)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = i = parent[parent[i]]
        return i

    first_by_sha: dict[str, int] = {}
    same_file = [(i, first_by_sha.setdefault(digest, i)) for i, digest in enumerate(sha1)]
    for i, j in same_file + near_pairs(hashes, max_bits):
        parent[find(i)] = find(j)
    return [find(i) for i in range(len(sha1))]


def assign_splits(
    labels: list[str], groups: list[int], keys: list[str], fractions: tuple[float, ...] = SPLIT_FRACTIONS
) -> list[str]:
    """Stratified, leak-free, stable split: whole groups are dealt in the order of a hash of their content
    (keys: e.g. sha1), so it is the same on every machine and run. Each group goes to the first split
    (train, val, test) whose quota for the group's class is not full yet."""
    members: dict[int, list[int]] = defaultdict(list)
    for i, group in enumerate(groups):
        members[group].append(i)
    totals, filled, result = Counter(labels), Counter(), [""] * len(labels)
    quota = {
        (s, label): f * totals[label] for s, f in zip(SPLITS, fractions, strict=True) for label in totals
    }
    for idx in sorted(members.values(), key=lambda idx: stable_hash(min(keys[i] for i in idx))):
        label = Counter(labels[i] for i in idx).most_common(1)[0][0]
        split = next(
            (s for s in SPLITS[:-1] if filled[(s, label)] + len(idx) / 2 <= quota[(s, label)]), "test"
        )
        for i in idx:
            result[i] = split
            filled[(split, labels[i])] += 1
    return result
