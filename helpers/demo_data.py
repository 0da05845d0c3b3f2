"""A synthetic, clearly-labelled face-mask demo dataset, drawn offline so notebooks run without a download.

The images are cartoons built from ellipses and polygons, never photographs of people. They are varied
on purpose (skin tones, pose, lighting, backgrounds, mask styles, and look-alikes such as hands, scarves
and beards in the no-mask class) so that a small CNN has to learn "something covers nose and mouth" rather
than a colour or position shortcut. Results on them say nothing about real-world accuracy; the marker file
written next to the images says so too.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

__all__ = [
    "CLASS_FOLDERS",
    "DEMO_VERSION",
    "MARKER_NAME",
    "add_synthetic_mask",
    "draw_face",
    "generate_demo_dataset",
    "is_demo_dataset",
]

DEMO_VERSION: int = 1  # bump when the drawing changes, so caches regenerate
CLASS_FOLDERS: dict[str, str] = {"mask": "with_mask", "no_mask": "without_mask"}
MARKER_NAME = "SYNTHETIC_DEMO_DATA.txt"

Color = tuple[int, int, int]

_P_DISTRACTOR = 0.3  # share of unmasked faces with a hand, scarf, collar, beard, bandana, mic or phone
_SS = 2  # draw at 2x and downsample, so edges are antialiased like a camera image, not pixel art

# Very light to very dark; a uniform position along this ramp gives every tone the same share of the data.
_SKIN_RAMP = np.array(
    [
        (255, 232, 216),
        (244, 208, 182),
        (232, 186, 152),
        (214, 160, 122),
        (190, 134, 96),
        (160, 108, 74),
        (128, 84, 56),
        (98, 62, 42),
        (72, 46, 32),
        (50, 32, 25),
    ],
    dtype=np.float64,
)

_HAIR = [
    (22, 18, 16),
    (45, 32, 24),
    (78, 52, 34),
    (118, 80, 48),
    (150, 110, 70),
    (212, 178, 112),
    (140, 62, 30),
    (150, 150, 150),
    (226, 224, 218),
    (70, 90, 170),
    (196, 90, 140),
]

# Shared by masks AND by scarves, collars and backgrounds, so that colour alone never gives the class away.
_MASK_COLORS = [
    (242, 242, 240),  # white
    (160, 204, 232),  # light blue
    (108, 158, 212),  # surgical blue
    (30, 30, 34),  # black
    (138, 138, 144),  # grey
    (190, 38, 44),  # red
    (218, 188, 162),  # skin-ish beige
    (40, 52, 92),  # navy
    (232, 166, 186),  # pink
    (92, 160, 120),  # green
]

# (style, cumulative probability): 12 % bald so "no hair" is common enough to learn, not a rarity.
_HAIR_STYLES = [("bald", 0.12), ("short", 0.45), ("long", 0.7), ("afro", 0.8), ("bun", 0.9), ("beanie", 1.01)]

_IRIS = [(70, 44, 26), (40, 26, 18), (96, 70, 40), (64, 104, 150), (80, 118, 80), (110, 110, 120)]


# -------------------------------------------------------------------------------------- colour helpers
def _clip(c: np.ndarray | tuple[float, ...] | list[float]) -> Color:
    r, g, b = (max(0, min(255, int(round(float(v))))) for v in c)
    return (r, g, b)


def _shade(c: Color, f: float) -> Color:
    return _clip([v * f for v in c])


def _mix(c1: Color, c2: Color, t: float) -> Color:
    return _clip([u * (1 - t) + v * t for u, v in zip(c1, c2, strict=True)])


def _jitter(rng: np.random.Generator, c: Color, amount: float) -> Color:
    return _clip([v + j for v, j in zip(c, rng.uniform(-amount, amount, 3), strict=True)])


def _pick(rng: np.random.Generator, options: list[Color]) -> Color:
    return options[int(rng.integers(len(options)))]


def _random_color(rng: np.random.Generator) -> Color:
    return _clip(rng.uniform(15, 245, 3))


def _skin_tone(rng: np.random.Generator) -> Color:
    """Uniform along the light-to-dark ramp, with a small undertone shift, so no tone is favoured."""
    t = rng.uniform(0, len(_SKIN_RAMP) - 1)
    k = min(int(t), len(_SKIN_RAMP) - 2)
    c = _SKIN_RAMP[k] * (1 - (t - k)) + _SKIN_RAMP[k + 1] * (t - k)
    undertone = rng.uniform(-8, 8)
    return _clip(c + np.array([undertone, 0.0, -undertone]) + rng.uniform(-5, 5, 3))


@lru_cache(maxsize=8)
def _grid(s: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates in [-0.5, 0.5], cached because every image of one size reuses them."""
    y, x = np.mgrid[0:s, 0:s].astype(np.float32)
    return (x + 0.5) / s - 0.5, (y + 0.5) / s - 0.5


def _w(x: float) -> int:
    """Line width in whole pixels, at least one."""
    return max(1, int(round(x)))


# -------------------------------------------------------------------------------------------- geometry
class _Face:
    """Face-relative coordinates: u in [-1, 1] across the head, v in [-1, 1] from crown to chin.

    A yaw in about [-0.3, 0.3] shifts features sideways most at the centre of the face and not at all at its
    outline, which reads as a head turned a little to one side without any 3-D maths.
    """

    def __init__(self, cx: float, cy: float, a: float, b: float, yaw: float) -> None:
        self.cx, self.cy, self.a, self.b, self.yaw = cx, cy, a, b, yaw

    def pt(self, u: float, v: float, extra: float = 0.0) -> tuple[float, float]:
        bulge = 0.9 * (1.0 - min(1.0, u * u)) + extra
        return (self.cx + self.a * (u + self.yaw * bulge), self.cy + self.b * v)

    def squeeze(self, u: float) -> float:
        """Horizontal foreshortening: features on the side the face turns towards get narrower."""
        return max(0.35, 1.0 - 1.8 * self.yaw * u)

    def ell(self, u: float, v: float, hu: float, hv: float, extra: float = 0.0) -> list[float]:
        x, y = self.pt(u, v, extra)
        hw, hh = hu * self.a * self.squeeze(u), hv * self.b
        return [x - hw, y - hh, x + hw, y + hh]

    def poly(self, uv: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [self.pt(u, v) for u, v in uv]

    @staticmethod
    def edge(v: float) -> float:
        """u of the head outline at height v."""
        return math.sqrt(max(0.0, 1.0 - v * v))


# -------------------------------------------------------------------------------------------- textures
class _Fabric:
    """Colour and print of one piece of cloth, sampled once so several polygons of it match."""

    def __init__(self, rng: np.random.Generator, color: Color, p_plain: float) -> None:
        self.color = color
        self.pattern = "plain"
        if rng.random() >= p_plain:
            self.pattern = ("stripes", "dots", "camo")[int(rng.integers(3))]
        self.other = _random_color(rng)
        self.period = rng.uniform(0.03, 0.08)
        self.angle = rng.uniform(0, math.pi)
        self.noise = (rng.random((6, 6)) * 255).astype(np.uint8)
        self.dot = rng.uniform(0.15, 0.3)

    def texture(self, x0: int, y0: int, w: int, h: int, s: int) -> Image.Image:
        """The cloth over the canvas box (x0, y0, w, h), lit from above (darker towards the bottom)."""
        base = Image.new("RGB", (w, h), self.color)
        if self.pattern == "stripes":
            y, x = np.mgrid[y0 : y0 + h, x0 : x0 + w].astype(np.float32) / s
            on = (((x * math.cos(self.angle) + y * math.sin(self.angle)) / self.period) % 1.0) < 0.4
            base.paste(self.other, (0, 0), Image.fromarray(on.astype(np.uint8) * 255))
        elif self.pattern == "camo":
            m = Image.fromarray(self.noise).resize((w, h), Image.BILINEAR)
            m = m.point(lambda p: 255 if p > 127 else 0)
            base.paste(self.other, (0, 0), m)
        elif self.pattern == "dots":
            d = ImageDraw.Draw(base)
            step = s * self.period * 1.2
            r = step * self.dot
            for row, gy in enumerate(np.arange(-(y0 % step), h + step, step)):
                shift = step / 2 if row % 2 else 0.0
                for gx in np.arange(shift - (x0 % step), w + step, step):
                    d.ellipse([gx - r, gy - r, gx + r, gy + r], fill=self.other)
        shade = Image.fromarray(np.linspace(255, 200, max(h, 1)).astype(np.uint8)[:, None]).resize((w, h))
        return ImageChops.multiply(base, Image.merge("RGB", (shade, shade, shade)))


def _fill(layer: Image.Image, polygon: list[tuple[float, float]], fabric: _Fabric) -> None:
    """Paint a polygon with a fabric texture; only its bounding box is textured, which keeps this cheap."""
    s = layer.size[0]
    xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
    x0, y0 = max(0, int(min(xs))), max(0, int(min(ys)))
    x1, y1 = min(s, int(max(xs)) + 2), min(s, int(max(ys)) + 2)
    if x1 - x0 < 1 or y1 - y0 < 1:
        return
    shape = Image.new("L", (x1 - x0, y1 - y0), 0)
    ImageDraw.Draw(shape).polygon([(x - x0, y - y0) for x, y in polygon], fill=255)
    layer.paste(fabric.texture(x0, y0, x1 - x0, y1 - y0, s), (x0, y0), shape)


# ------------------------------------------------------------------------------------------ background
def _background(rng: np.random.Generator, s: int, skin: Color) -> Image.Image:
    """Flat, gradient, striped or blotchy; sometimes in skin or mask colours so neither is a shortcut."""
    r = rng.random()
    if r < 0.15:
        c1 = _jitter(rng, skin, 25)
    elif r < 0.3:
        c1 = _jitter(rng, _pick(rng, _MASK_COLORS), 20)
    else:
        c1 = _random_color(rng)
    c2 = _random_color(rng) if rng.random() < 0.7 else _jitter(rng, c1, 60)
    img = Image.new("RGB", (s, s), c1)
    xx, yy = _grid(s)
    kind = rng.random()
    if kind < 0.25:
        pass
    elif kind < 0.55:
        ang = rng.uniform(0, 2 * math.pi)
        t = np.clip(xx * math.cos(ang) + yy * math.sin(ang) + 0.5, 0, 1)
        img.paste(c2, (0, 0), Image.fromarray((t * 255).astype(np.uint8)))
    elif kind < 0.75:
        ang = rng.uniform(0, math.pi)
        period = rng.uniform(0.05, 0.3)
        on = (((xx * math.cos(ang) + yy * math.sin(ang)) / period) % 1.0) < rng.uniform(0.3, 0.7)
        img.paste(c2, (0, 0), Image.fromarray(on.astype(np.uint8) * 255))
    else:
        k = int(rng.integers(3, 9))
        blobs = Image.fromarray((rng.random((k, k, 3)) * 255).astype(np.uint8)).resize((s, s), Image.BILINEAR)
        img = Image.blend(img, blobs, rng.uniform(0.3, 0.7))
    if rng.random() < 0.3:  # a few out-of-focus objects behind the person
        d = ImageDraw.Draw(img)
        for _ in range(int(rng.integers(1, 5))):
            x, y = rng.uniform(0, s, 2)
            rad = rng.uniform(0.05, 0.25) * s
            d.ellipse([x - rad, y - rad, x + rad, y + rad], fill=_random_color(rng))
    return img


# -------------------------------------------------------------------------------------------- the face
def _draw_body(d: ImageDraw.ImageDraw, rng: np.random.Generator, f: _Face, skin: Color) -> float:
    """Shoulders and a neckline, on the unrotated background; returns the shoulder line y."""
    y_sh = f.cy + f.b * rng.uniform(1.2, 1.45)
    bx = f.cx + f.a * rng.uniform(-0.2, 0.2)
    w = f.a * rng.uniform(1.7, 2.4)
    d.ellipse([bx - w, y_sh, bx + w, y_sh + 3.2 * f.b], fill=_random_color(rng))
    d.ellipse(
        [bx - 0.5 * f.a, y_sh - 0.3 * f.b, bx + 0.5 * f.a, y_sh + rng.uniform(0.25, 0.5) * f.b],
        fill=_shade(skin, 0.86),
    )
    return y_sh


def _hair_cap(f: _Face, side_v: float, hair_v: float, power: float) -> list[tuple[float, float]]:
    """Polygon of the hair on top of the head: outer arc, then a hairline curve back across the forehead."""
    pts: list[tuple[float, float]] = []
    t0 = math.pi - math.asin(side_v)
    t1 = 2 * math.pi + math.asin(side_v)
    for t in np.linspace(t0, t1, 28):
        pts.append((f.cx + 1.06 * f.a * math.cos(t), f.cy + 1.05 * f.b * math.sin(t)))
    umax = 0.96 * f.edge(side_v)
    for u in np.linspace(umax, -umax, 17):
        q = abs(u) / umax
        v = side_v + (hair_v - side_v) * (1 - q**power) ** (1 / power)
        pts.append(f.pt(u, v))
    return pts


def _draw_beard(d: ImageDraw.ImageDraw, rng: np.random.Generator, f: _Face, color: Color, vm: float) -> None:
    vb = rng.uniform(0.15, 0.4)
    full = rng.random() < 0.7
    pts = [(f.edge(v) * 1.02, v) for v in np.linspace(vb, 0.97, 8)]
    pts += [(0.0, 1.1)]
    pts += [(-u, v) for u, v in reversed(pts[:-1])]
    if full:
        top = [(-0.5, vb + 0.2), (-0.3, vm - 0.12), (0.0, vm - 0.15), (0.3, vm - 0.12), (0.5, vb + 0.2)]
    else:  # chin beard / goatee: leaves the cheeks bare
        top = [(-0.55, 0.95), (-0.35, vm + 0.1), (0.0, vm + 0.05), (0.35, vm + 0.1), (0.55, 0.95)]
        pts = [(u, v) for u, v in pts if v > 0.8]
    d.polygon(f.poly(pts + top), fill=color)


def _draw_eyes(
    d: ImageDraw.ImageDraw, rng: np.random.Generator, f: _Face, skin: Color, brow: Color, ve: float
) -> float:
    eu = rng.uniform(0.32, 0.42)
    ehu, ehv = rng.uniform(0.14, 0.2), rng.uniform(0.04, 0.065)
    iris = _pick(rng, _IRIS)
    closed = rng.random() < 0.08
    gaze = rng.uniform(-0.04, 0.04) + f.yaw * 0.1
    vbrow = ve - rng.uniform(0.13, 0.2)
    brow_w = _w(f.b * rng.uniform(0.025, 0.05))
    lid = _shade(skin, 0.6)
    for side in (-1, 1):
        u = side * eu
        box = f.ell(u, ve, ehu, ehv)
        if closed:
            d.arc(box, 10, 170, fill=lid, width=_w(f.b * 0.015))
        else:
            d.ellipse(box, fill=(238, 236, 230))
            d.ellipse(f.ell(u + gaze, ve, ehu * 0.45, ehv * 0.95), fill=iris)
            d.ellipse(f.ell(u + gaze, ve, ehu * 0.2, ehv * 0.45), fill=(12, 10, 10))
            d.arc(box, 190, 350, fill=lid, width=_w(f.b * 0.012))
        d.line(
            [
                f.pt(u - side * ehu * 0.9, vbrow + 0.02),
                f.pt(u, vbrow - 0.025),
                f.pt(u + side * ehu * 1.1, vbrow),
            ],
            fill=brow,
            width=brow_w,
            joint="curve",
        )
    return eu


def _draw_nose(
    d: ImageDraw.ImageDraw, rng: np.random.Generator, f: _Face, skin: Color, ve: float, vn: float
) -> None:
    dark = _shade(skin, 0.72)
    nw = rng.uniform(0.1, 0.16)
    d.ellipse(f.ell(0, vn - 0.01, nw * 1.1, 0.06, extra=0.35), fill=_shade(skin, 0.94))
    side = -1 if f.yaw > 0 else 1  # shadow on the far side of the nose
    d.line(
        [f.pt(side * 0.06, ve + 0.06, 0.15), f.pt(side * 0.09, vn - 0.03, 0.3)],
        fill=dark,
        width=_w(f.b * 0.013),
    )
    for s in (-1, 1):
        d.ellipse(f.ell(s * nw * 0.6, vn + 0.025, nw * 0.28, 0.018, extra=0.3), fill=_shade(skin, 0.5))


def _draw_mouth(d: ImageDraw.ImageDraw, rng: np.random.Generator, f: _Face, skin: Color, vm: float) -> None:
    mw = rng.uniform(0.2, 0.34)
    lip = _mix(_shade(skin, 0.8), (150, 45, 60), rng.uniform(0.2, 0.5))
    style = rng.random()
    if style < 0.4:  # closed, two lips
        d.ellipse(f.ell(0, vm, mw, rng.uniform(0.03, 0.05), extra=0.15), fill=lip)
        d.line(
            [f.pt(-mw, vm, 0.15), f.pt(0, vm + 0.005, 0.15), f.pt(mw, vm, 0.15)],
            fill=_shade(lip, 0.55),
            width=_w(f.b * 0.012),
        )
    elif style < 0.75:  # smile
        box = f.ell(0, vm - 0.05, mw, 0.08, extra=0.15)
        d.arc(box, 20, 160, fill=_shade(lip, 0.8), width=_w(f.b * rng.uniform(0.02, 0.04)))
    else:  # open, teeth showing
        box = f.ell(0, vm, mw * 0.85, rng.uniform(0.04, 0.08), extra=0.15)
        d.ellipse(box, fill=(70, 20, 25))
        d.chord(box, 190, 350, fill=(236, 232, 220))
        d.ellipse(box, outline=lip, width=_w(f.b * 0.018))


def _draw_glasses(d: ImageDraw.ImageDraw, rng: np.random.Generator, f: _Face, eu: float, ve: float) -> None:
    frame = _pick(rng, [(20, 20, 20), (90, 60, 30), (190, 160, 90), (150, 30, 40), (60, 60, 140)])
    width = _w(f.b * rng.uniform(0.015, 0.035))
    sun = rng.random() < 0.25
    rect = rng.random() < 0.5
    hu, hv = rng.uniform(0.2, 0.27), rng.uniform(0.09, 0.14)
    boxes = [f.ell(s * eu, ve, hu, hv) for s in (-1, 1)]
    for box in boxes:
        fill = (30, 32, 40) if sun else None
        if rect:
            d.rounded_rectangle(box, radius=(box[3] - box[1]) * 0.3, outline=frame, width=width, fill=fill)
        else:
            d.ellipse(box, outline=frame, width=width, fill=fill)
    ym = (boxes[0][1] + boxes[0][3]) / 2
    d.line([(boxes[0][2], ym), (boxes[1][0], ym)], fill=frame, width=width)
    d.line([(boxes[0][0], ym), f.pt(-1.0, ve)], fill=frame, width=width)
    d.line([(boxes[1][2], ym), f.pt(1.0, ve)], fill=frame, width=width)


# ----------------------------------------------------------------------------------------------- masks
def _draw_mask(layer: Image.Image, rng: np.random.Generator, f: _Face, vn: float, ve: float) -> None:
    """Surgical, N95-style or cloth mask; the top edge lies between just below the eyes and the nose tip."""
    d = ImageDraw.Draw(layer)
    if rng.random() < 0.7:
        v_top = rng.uniform(ve + 0.12, (ve + vn) / 2 + 0.05)  # properly worn, over the nose
    else:
        v_top = rng.uniform(vn - 0.1, vn + 0.04)  # worn low: nose partly visible, mouth still covered
    v_bot = rng.uniform(1.0, 1.1)
    kind = rng.random()
    if kind < 0.45:
        shape = "surgical"
        color = _pick(rng, _MASK_COLORS[:3]) if rng.random() < 0.5 else _pick(rng, _MASK_COLORS)
        p_plain = 0.9
    elif kind < 0.7:
        shape = "n95"
        color = _pick(rng, [(240, 240, 236), (200, 200, 196), (40, 40, 44), (150, 180, 210), (216, 196, 160)])
        p_plain = 1.0
    else:
        shape = "cloth"
        color = _pick(rng, _MASK_COLORS)
        p_plain = 0.55
    color = _jitter(rng, color, 10)
    fabric = _Fabric(rng, color, p_plain)
    strap = _shade(color, 0.85) if rng.random() < 0.5 else (235, 235, 235)
    loop_w = _w(f.b * rng.uniform(0.012, 0.025))

    wt = min(1.03, f.edge(v_top) * rng.uniform(0.98, 1.05))
    if shape == "surgical":
        vmid = (v_top + 0.78) / 2
        uv = [(-wt, v_top + 0.03), (0.0, v_top - 0.03), (wt, v_top + 0.03)]
        uv += [(min(1.02, f.edge(vmid) + 0.02), vmid), (0.82, 0.8)]
        uv += [
            (0.6 * math.cos(t), 0.8 + (v_bot - 0.8) * math.sin(t)) for t in np.linspace(0.3, math.pi - 0.3, 7)
        ]
        uv += [(-0.82, 0.8), (-min(1.02, f.edge(vmid) + 0.02), vmid)]
        ear_pts = [
            (uv[0], (-1.0, v_top - 0.05)),
            (uv[-2], (-1.0, 0.45)),
            (uv[2], (1.0, v_top - 0.05)),
            (uv[4], (1.0, 0.45)),
        ]
    elif shape == "n95":
        vc, hv = (v_top + v_bot) / 2, (v_bot - v_top) / 2
        hu = rng.uniform(0.78, 0.92)
        uv = [
            (hu * math.cos(t), vc + hv * math.sin(t)) for t in np.linspace(0, 2 * math.pi, 28, endpoint=False)
        ]
        ear_pts = [
            ((-hu * 0.95, vc - hv * 0.3), (-1.0, -0.25)),
            ((-hu * 0.95, vc + hv * 0.4), (-1.0, 0.5)),
            ((hu * 0.95, vc - hv * 0.3), (1.0, -0.25)),
            ((hu * 0.95, vc + hv * 0.4), (1.0, 0.5)),
        ]
    else:
        uv = [(u, v_top + 0.1 * u * u) for u in np.linspace(-wt, wt, 9)]  # curved top, highest over the nose
        uv += [(min(1.02, f.edge(0.6) + 0.03), 0.6)]
        uv += [
            (0.85 * math.cos(t), 0.6 + (v_bot - 0.6) * math.sin(t))
            for t in np.linspace(0.2, math.pi - 0.2, 9)
        ]
        uv += [(-min(1.02, f.edge(0.6) + 0.03), 0.6)]
        ear_pts = [(uv[0], (-1.0, v_top)), (uv[-1], (-1.0, 0.5)), (uv[8], (1.0, v_top)), (uv[9], (1.0, 0.5))]

    poly = f.poly(uv)
    _fill(layer, poly, fabric)
    edge_col = _shade(color, 0.78) if sum(color) > 150 else _shade(_mix(color, (255, 255, 255), 0.3), 1.0)
    if shape == "surgical":
        for k in range(1, 4):  # pleats
            v = v_top + (0.78 - v_top) * k / 4
            u0 = min(1.0, f.edge(v)) * 0.95
            d.line(
                [f.pt(-u0, v + 0.02), f.pt(0, v), f.pt(u0, v + 0.02)], fill=edge_col, width=_w(f.b * 0.012)
            )
        d.line(poly[:3], fill=_mix(color, (255, 255, 255), 0.4), width=_w(f.b * 0.02))  # nose wire band
    elif shape == "n95":
        d.line([f.pt(0, v_top), f.pt(0, v_bot)], fill=edge_col, width=_w(f.b * 0.012))
        d.polygon(poly, outline=edge_col, width=_w(f.b * 0.015))
        if rng.random() < 0.3:  # exhalation valve
            d.ellipse(f.ell(-0.35, (v_top + v_bot) / 2 + 0.05, 0.14, 0.08), fill=_shade(color, 0.7))
    else:
        d.line([f.pt(0, v_top), f.pt(0, v_bot)], fill=edge_col, width=_w(f.b * 0.01))  # centre seam
    for (u0, v0), (u1, v1) in ear_pts:
        d.line([f.pt(u0, v0), f.pt(u1, v1)], fill=strap, width=loop_w)


# ----------------------------------------------------------------------------------------- distractors
def _draw_hand(d: ImageDraw.ImageDraw, rng: np.random.Generator, f: _Face, skin: Color, s: int) -> None:
    """A hand over mouth or chin: skin-coloured and covering the lower face, but not a mask."""
    hand = _jitter(rng, _shade(skin, rng.uniform(0.92, 1.08)), 8)
    line = _shade(hand, 0.75)
    hu, hv = rng.uniform(-0.35, 0.35), rng.uniform(0.62, 1.0)
    px, py = f.pt(hu, hv)
    pw, ph = f.a * rng.uniform(0.4, 0.52), f.b * rng.uniform(0.25, 0.32)
    tilt = rng.uniform(-0.5, 0.5)
    arm = f.a * 0.45
    sleeve = _random_color(rng)
    bottom = (px + math.sin(tilt) * s, py + s)
    d.polygon(
        [
            (px - arm, py),
            (px + arm, py),
            (bottom[0] + arm * 1.2, bottom[1]),
            (bottom[0] - arm * 1.2, bottom[1]),
        ],
        fill=hand,
    )
    d.polygon(
        [
            (px - arm * 1.3 + 0.4 * f.b * tilt, py + 0.6 * f.b),
            (px + arm * 1.3 + 0.4 * f.b * tilt, py + 0.6 * f.b),
            (bottom[0] + arm * 1.5, bottom[1]),
            (bottom[0] - arm * 1.5, bottom[1]),
        ],
        fill=sleeve,
    )
    fw = _w(f.a * rng.uniform(0.11, 0.15))
    for k, dx in enumerate(np.linspace(-pw * 0.7, pw * 0.7, 4)):
        length = f.b * rng.uniform(0.3, 0.42) * (0.85 if k in (0, 3) else 1.0)
        ang = -math.pi / 2 + tilt + dx / pw * 0.2
        x0, y0 = px + dx, py - ph * 0.6
        x1, y1 = x0 + math.cos(ang) * length, y0 + math.sin(ang) * length
        d.line([(x0, y0), (x1, y1)], fill=hand, width=fw)
        d.ellipse([x1 - fw / 2, y1 - fw / 2, x1 + fw / 2, y1 + fw / 2], fill=hand)
    thumb_side = 1 if rng.random() < 0.5 else -1
    d.line(
        [(px + thumb_side * pw * 0.8, py), (px + thumb_side * pw * 1.4, py - ph * 1.1)], fill=hand, width=fw
    )
    d.ellipse([px - pw, py - ph, px + pw, py + ph], fill=hand)
    for dx in np.linspace(-pw * 0.45, pw * 0.45, 3):  # knuckle creases between the fingers
        d.line([(px + dx, py - ph * 0.9), (px + dx, py - ph * 1.3)], fill=line, width=_w(fw * 0.15))


def _draw_neckwear(
    layer: Image.Image, rng: np.random.Generator, f: _Face, kind: str, y_sh: float, behind_chin: bool
) -> None:
    """Scarf, turtleneck collar or bandana: fabric below the mouth that never covers mouth and nose."""
    d = ImageDraw.Draw(layer)
    s = layer.size[0]
    color = _jitter(rng, _pick(rng, _MASK_COLORS), 12) if rng.random() < 0.6 else _random_color(rng)
    if kind == "turtleneck":
        top = f.cy + f.b * rng.uniform(0.75, 0.9)
        hw = f.a * rng.uniform(0.5, 0.62)
        poly = [
            (f.cx - hw, top),
            (f.cx + hw, top),
            (f.cx + hw * 1.1, y_sh + 0.5 * f.b),
            (f.cx - hw * 1.1, y_sh + 0.5 * f.b),
        ]
        _fill(layer, poly, _Fabric(rng, color, 0.7))
        for k in range(1, 4):
            y = top + (y_sh - top) * k / 4
            d.line([(f.cx - hw, y), (f.cx + hw, y)], fill=_shade(color, 0.85), width=_w(f.b * 0.01))
    elif kind == "bandana":
        top = f.cy + f.b * rng.uniform(0.92, 1.02)
        hw = f.a * rng.uniform(0.7, 0.9)
        poly = [
            (f.cx - hw, top),
            (f.cx + hw, top),
            (f.cx + f.a * rng.uniform(-0.2, 0.2), top + f.b * rng.uniform(0.5, 0.8)),
        ]
        fabric = _Fabric(rng, color, 0.4)
        fabric.pattern = "dots" if fabric.pattern != "plain" else "plain"
        _fill(layer, poly, fabric)
        d.line([(f.cx - hw, top), (f.cx + hw, top)], fill=_shade(color, 0.75), width=_w(f.b * 0.06))
    else:  # scarf, wrapped round the neck and lying over the jaw line, below the mouth
        top = f.cy + f.b * (rng.uniform(0.82, 0.95) if not behind_chin else rng.uniform(0.95, 1.05))
        hw = f.a * rng.uniform(0.95, 1.25)
        thick = f.b * rng.uniform(0.3, 0.45)
        tex = _Fabric(rng, color, 0.5)
        hx = f.cx + f.a * rng.uniform(-0.6, 0.6)
        _fill(
            layer,
            [
                (hx - 0.25 * f.a, top + thick * 0.5),
                (hx + 0.25 * f.a, top + thick * 0.5),
                (hx + 0.3 * f.a, s + 10),
                (hx - 0.3 * f.a, s + 10),
            ],
            tex,
        )
        box = [(f.cx - hw, top), (f.cx + hw, top + thick)]
        band = [
            (box[0][0], box[0][1] + thick * 0.2),
            (f.cx, box[0][1]),
            (box[1][0], box[0][1] + thick * 0.2),
            (box[1][0], box[1][1]),
            (f.cx, box[1][1] + thick * 0.3),
            (box[0][0], box[1][1]),
        ]
        _fill(layer, band, tex)
        d.line([band[0], band[1], band[2]], fill=_shade(color, 0.8), width=_w(f.b * 0.015))


def _draw_mic_or_phone(
    d: ImageDraw.ImageDraw, rng: np.random.Generator, f: _Face, skin: Color, s: int
) -> None:
    """Something held near the mouth: a hand-held microphone or a phone against the cheek."""
    hand = _jitter(rng, skin, 10)
    if rng.random() < 0.5:
        side = 1 if rng.random() < 0.5 else -1
        hx, hy = f.pt(side * rng.uniform(0.05, 0.45), rng.uniform(0.7, 0.95))
        r = f.a * rng.uniform(0.14, 0.2)
        end = (hx + side * rng.uniform(0.1, 0.5) * s, hy + s * 0.7)
        d.line([(hx, hy), end], fill=(25, 25, 28), width=_w(r * 0.9))
        gx, gy = hx + (end[0] - hx) * 0.25, hy + (end[1] - hy) * 0.25
        d.ellipse([gx - r * 0.9, gy - r * 0.7, gx + r * 0.9, gy + r * 0.7], fill=hand)
        grill = _pick(rng, [(60, 60, 64), (150, 150, 155), (30, 30, 30)])
        d.ellipse([hx - r, hy - r, hx + r, hy + r], fill=grill)
        for k in np.linspace(-0.6, 0.6, 4):
            d.line([(hx + k * r, hy - r * 0.8), (hx + k * r, hy + r * 0.8)], fill=_shade(grill, 1.5), width=1)
    else:
        side = 1 if rng.random() < 0.5 else -1
        cx, cy = f.pt(side * rng.uniform(0.55, 0.95), rng.uniform(0.2, 0.55))
        hw, hh = f.a * rng.uniform(0.18, 0.24), f.a * rng.uniform(0.38, 0.48)
        ang = side * rng.uniform(0.1, 0.5)
        ca, sa = math.cos(ang), math.sin(ang)

        def rot(px: float, py: float) -> tuple[float, float]:
            return (cx + px * ca - py * sa, cy + px * sa + py * ca)

        case = _pick(rng, [(20, 20, 24), (230, 230, 232), (180, 40, 50), (60, 90, 160), (200, 170, 120)])
        d.polygon([rot(-hw, -hh), rot(hw, -hh), rot(hw, hh), rot(-hw, hh)], fill=case)
        d.polygon(
            [
                rot(-hw * 0.8, -hh * 0.85),
                rot(hw * 0.8, -hh * 0.85),
                rot(hw * 0.8, hh * 0.85),
                rot(-hw * 0.8, hh * 0.85),
            ],
            fill=(30, 34, 44),
        )
        for k in range(3):
            x, y = rot(side * hw * 0.9, hh * (0.1 + 0.25 * k))
            rr = f.a * 0.08
            d.ellipse([x - rr * 1.4, y - rr, x + rr * 1.4, y + rr], fill=hand)


# ---------------------------------------------------------------------------------------------- public
def draw_face(rng: np.random.Generator, masked: bool, size: int = 128) -> Image.Image:
    """One synthetic RGB face image, size x size.

    Every random choice comes from ``rng`` (and consumes it in the same order for any ``size``), so the caller
    decides reproducibility. Pose, scale, skin tone, hair, lighting and background vary independently of the
    class; about 30 % of unmasked faces get a look-alike (hand, scarf, collar, beard, bandana, microphone,
    phone) so that "fabric near the chin" or "skin colour missing" is not enough to tell the classes apart.
    """
    if size < 16:
        raise ValueError(f"size must be at least 16 pixels, got {size}")
    s = size * _SS
    skin = _skin_tone(rng)

    # geometry: head fills 45-95 % of the frame, anywhere that keeps it (almost) inside
    fill = rng.uniform(0.45, 0.95)
    b = fill * s / 2
    a = b * rng.uniform(0.7, 0.84)
    lo, hi = 0.9 * a, s - 0.9 * a
    cx = rng.uniform(lo, hi) if hi > lo else s / 2
    lo, hi = b - 0.04 * s, s - b
    cy = rng.uniform(lo, hi) if hi > lo else s / 2
    f = _Face(cx, cy, a, b, rng.uniform(-0.3, 0.3))
    angle = rng.uniform(-20, 20)

    img = _background(rng, s, skin)
    y_sh = _draw_body(ImageDraw.Draw(img), rng, f, skin)

    layer = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)

    # hair style and colour; drawn partly behind the head and partly on top
    hair = _jitter(rng, _pick(rng, _HAIR), 10)
    hs = rng.random()
    style = next(name for name, upto in _HAIR_STYLES if hs < upto)
    if style == "long":
        d.rounded_rectangle(
            [cx - 1.22 * a, cy - 1.0 * b, cx + 1.22 * a, cy + b * rng.uniform(0.9, 1.6)],
            radius=a,
            fill=_shade(hair, 0.85),
        )
    elif style == "afro":
        g = rng.uniform(1.25, 1.55)
        d.ellipse([cx - g * a, cy - 1.3 * b, cx + g * a, cy + 0.55 * b], fill=_shade(hair, 0.9))
    elif style == "bun":
        d.ellipse([cx - 0.4 * a, cy - 1.45 * b, cx + 0.4 * a, cy - 0.75 * b], fill=hair)

    d.ellipse([cx - 0.42 * a, cy + 0.4 * b, cx + 0.42 * a, y_sh + 0.2 * b], fill=_shade(skin, 0.88))  # neck

    neck_kind = None
    distractor = None
    if not masked and rng.random() < _P_DISTRACTOR:
        distractor = ("hand", "scarf", "turtleneck", "beard", "bandana", "mic_or_phone")[int(rng.integers(6))]
        if distractor in ("scarf", "turtleneck", "bandana"):
            neck_kind = distractor
    elif masked and rng.random() < 0.12:
        neck_kind = ("scarf", "turtleneck", "bandana")[int(rng.integers(3))]
    if neck_kind in ("turtleneck", "bandana"):
        _draw_neckwear(layer, rng, f, neck_kind, y_sh, behind_chin=True)

    for side in (-1, 1):  # ears; the one on the side the head turns towards is partly hidden
        ex = cx + side * a * (1.0 - 0.03)
        ew = a * 0.16 * (1.0 - 1.5 * f.yaw * side)
        d.ellipse([ex - ew, cy - 0.12 * b, ex + ew, cy + 0.28 * b], fill=_shade(skin, 0.93))
    d.ellipse([cx - a, cy - b, cx + a, cy + b], fill=skin)  # head

    if style != "bald":
        side_v = rng.uniform(-0.25, 0.12)
        hair_v = rng.uniform(-0.7, -0.42)
        power = rng.uniform(1.5, 5.0)
        cap_color = hair
        if style == "beanie":
            cap_color = _random_color(rng)
            side_v, hair_v, power = rng.uniform(-0.45, -0.3), rng.uniform(-0.6, -0.45), 8.0
        d.polygon(_hair_cap(f, side_v, hair_v, power), fill=cap_color)

    ve = rng.uniform(-0.15, -0.02)
    vn = ve + rng.uniform(0.3, 0.4)
    vm = vn + rng.uniform(0.22, 0.3)
    brow = _shade(hair, 0.7) if style not in ("bald", "beanie") else _shade(skin, 0.45)

    beard_color = _mix(skin, _shade(hair, 0.8), rng.uniform(0.45, 0.95))
    if distractor == "beard" or rng.random() < 0.1:
        _draw_beard(d, rng, f, beard_color, vm)
    eu = _draw_eyes(d, rng, f, skin, brow, ve)
    _draw_nose(d, rng, f, skin, ve, vn)
    _draw_mouth(d, rng, f, skin, vm)

    if masked:
        _draw_mask(layer, rng, f, vn, ve)
    if rng.random() < 0.2:
        _draw_glasses(d, rng, f, eu, ve)
    if neck_kind == "scarf":
        _draw_neckwear(layer, rng, f, "scarf", y_sh, behind_chin=masked)
    if distractor == "hand":
        _draw_hand(d, rng, f, skin, s)
    elif distractor == "mic_or_phone":
        _draw_mic_or_phone(d, rng, f, skin, s)

    # in-plane head tilt about the neck, so the shoulders stay put
    layer = layer.rotate(angle, resample=Image.NEAREST, center=(cx, cy + 1.1 * b))  # 2x + reduce smooths it
    img.paste(layer, (0, 0), layer)
    img = img.reduce(_SS)
    return _camera(rng, img)


def _camera(rng: np.random.Generator, img: Image.Image) -> Image.Image:
    """Global brightness/contrast, a colour cast, directional light, and sometimes blur or sensor noise."""
    size = img.size[0]
    arr = np.asarray(img, dtype=np.float32)
    xx, yy = _grid(size)
    phi = rng.uniform(0, 2 * math.pi)
    light = 1.0 + rng.uniform(0.0, 0.6) * (xx * math.cos(phi) + yy * math.sin(phi))
    contrast, bright = rng.uniform(0.7, 1.25), rng.uniform(0.65, 1.25)
    cast = (1.0 + rng.uniform(-0.07, 0.07, 3)).astype(np.float32)
    mean = float(arr.mean())
    arr = ((arr - mean) * contrast + mean) * bright * cast * light[..., None]
    if rng.random() < 0.3:
        arr = arr + rng.normal(0.0, rng.uniform(2.0, 10.0), arr.shape).astype(np.float32)
    out = Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8))
    if rng.random() < 0.25:
        out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.1) * size / 128))
    return out


def _params(n_per_class: int, size: int, seed: int) -> dict[str, str]:
    return {
        "demo_version": str(DEMO_VERSION),
        "n_per_class": str(n_per_class),
        "size": str(size),
        "seed": str(seed),
    }


def _marker_text(params: dict[str, str]) -> str:
    lines = [
        "SYNTHETIC DEMO DATA - NOT REAL PEOPLE",
        "",
        "Every image below this folder was drawn by helpers/demo_data.py from simple shapes (ellipses,",
        "polygons, gradients). None of them is a photograph and no real person appears in them.",
        "",
        "They exist only so the course notebooks run offline without a download. Accuracy, loss curves or",
        "any other result measured on these images says NOTHING about how a model performs on real faces",
        "and real masks. Use a real, properly licensed dataset before drawing any conclusion.",
        "",
        f"{CLASS_FOLDERS['mask']}/     drawn faces wearing a drawn mask (surgical, N95-style or cloth)",
        f"{CLASS_FOLDERS['no_mask']}/  drawn faces without a mask; about 30 % have a hand, scarf, collar,",
        "               beard, bandana, microphone or phone near the lower face",
        "",
        "Generation parameters (the dataset is regenerated when any of them changes):",
    ]
    lines += [f"{k} = {v}" for k, v in params.items()]
    return "\n".join(lines) + "\n"


def _read_marker(root: Path) -> dict[str, str] | None:
    try:
        text = (root / MARKER_NAME).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    found = {}
    for line in text.splitlines():
        key, sep, value = line.partition(" = ")
        if sep and key.strip() in ("demo_version", "n_per_class", "size", "seed"):
            found[key.strip()] = value.strip()
    return found


def _complete(root: Path, params: dict[str, str]) -> bool:
    """Marker records the same parameters and the files are all still there (a learner may delete some)."""
    if _read_marker(root) != params:
        return False
    n = int(params["n_per_class"])
    return all(len(list((root / folder).glob("demo_*.jpg"))) == n for folder in CLASS_FOLDERS.values())


def generate_demo_dataset(root: Path, n_per_class: int = 300, size: int = 128, seed: int = 0) -> Path:
    """Write root/with_mask/demo_00000.jpg..., root/without_mask/..., and root/SYNTHETIC_DEMO_DATA.txt.

    Idempotent: if the marker exists and records the same (DEMO_VERSION, n_per_class, size, seed), return at
    once. Otherwise (re)write everything (remove stale demo_*.jpg files first). Write to a temp dir and rename
    so an interrupted run never leaves a half dataset that looks complete. Returns root.

    Image i of class c depends only on (seed, c, i, size), so it is the same whatever n_per_class is, and
    the JPEG settings are fixed so the bytes are identical across runs. Files that are not demo_*.jpg are
    left alone, so pointing this at a folder of real photos never deletes them.
    """
    root = Path(root)
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be at least 1, got {n_per_class}")
    params = _params(n_per_class, size, seed)
    if _complete(root, params):
        return root
    root.mkdir(parents=True, exist_ok=True)
    # From here on the folder no longer claims to be complete; the marker is written last, as the commit.
    (root / MARKER_NAME).unlink(missing_ok=True)
    # A hidden sibling on the same file system: os.replace is then a rename, and an interrupted run leaves
    # nothing inside root that ImageFolder would mistake for a class.
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.resolve().name}.partial-", dir=root.resolve().parent))
    try:
        for class_index, (key, folder) in enumerate(CLASS_FOLDERS.items()):
            out = tmp / folder
            out.mkdir()
            for i in range(n_per_class):
                rng = np.random.default_rng([seed, class_index, i])
                image = draw_face(rng, masked=key == "mask", size=size)
                quality = int(rng.integers(70, 96))
                image.save(out / f"demo_{i:05d}.jpg", "JPEG", quality=quality, optimize=False)
        for folder in CLASS_FOLDERS.values():
            dest = root / folder
            if dest.is_dir():
                for stale in dest.glob("demo_*.jpg"):
                    stale.unlink()
                if not any(dest.iterdir()):
                    dest.rmdir()
            if dest.exists():
                for path in sorted((tmp / folder).iterdir()):
                    os.replace(path, dest / path.name)
            else:
                os.replace(tmp / folder, dest)
        marker_tmp = tmp / MARKER_NAME
        marker_tmp.write_text(_marker_text(params), encoding="utf-8")
        os.replace(marker_tmp, root / MARKER_NAME)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root


def is_demo_dataset(root: Path) -> bool:
    """True when root holds the marker file (so notebooks can label results as synthetic)."""
    return (Path(root) / MARKER_NAME).is_file()


def add_synthetic_mask(
    image: Image.Image,
    face_box: tuple[int, int, int, int],
    color: tuple[int, int, int] = (70, 130, 200),
    seed: int = 0,
) -> Image.Image:
    """Return a copy of a real photo with a surgical-style mask drawn over the lower face inside
    face_box=(x, y, w, h): covering nose tip to chin, with pleats and ear loops. Used later on matplotlib's
    grace_hopper.jpg.

    Only pixels inside the box change, so a notebook can show "the same photo, masked" next to the original.
    The mask picks up the photo's broad light and shade, so it does not look pasted on. RGBA stays RGBA; any
    other mode comes back as RGB.
    """
    out = image.copy() if image.mode in ("RGB", "RGBA") else image.convert("RGB")
    x, y, w, h = (int(round(v)) for v in face_box)
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(out.width, x + w), min(out.height, y + h)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return out
    rng = np.random.default_rng([seed, 7])
    crop = out.crop((x0, y0, x1, y1))
    k = _SS
    bw, bh = w * k, h * k
    ox, oy = (x - x0) * k, (y - y0) * k  # box origin inside the (possibly clipped) crop, at 2x

    def p(fx: float, fy: float) -> tuple[float, float]:
        return (ox + fx * bw, oy + fy * bh)

    top = 0.55 + rng.uniform(-0.02, 0.02)
    bot = 0.99
    lx, rx = 0.13 + rng.uniform(-0.015, 0.015), 0.87 + rng.uniform(-0.015, 0.015)
    outline = [
        p(lx, top + 0.02),
        p(0.5, top - 0.015),
        p(rx, top + 0.02),
        p(rx + 0.01, top + 0.18),
        p(0.8, 0.86),
    ]
    outline += [
        p(0.5 + 0.3 * math.cos(t), 0.86 + (bot - 0.86) * math.sin(t))
        for t in np.linspace(0.2, math.pi - 0.2, 9)
    ]
    outline += [p(0.2, 0.86), p(lx - 0.01, top + 0.18)]

    cw, ch = crop.width * k, crop.height * k
    alpha = Image.new("L", (cw, ch), 0)
    ImageDraw.Draw(alpha).polygon(outline, fill=255)
    # broad shading of the photo under the mask, so the mask keeps the scene's lighting
    lum = np.asarray(
        crop.convert("L").resize((cw, ch), Image.BILINEAR).filter(ImageFilter.GaussianBlur(max(1, cw / 10))),
        dtype=np.float32,
    )
    inside = np.asarray(alpha) > 0
    ref = float(lum[inside].mean()) if inside.any() else 1.0
    shade = np.clip(0.8 + 0.25 * (lum / max(ref, 1.0)), 0.75, 1.15)
    _, yy = np.mgrid[0:ch, 0:cw].astype(np.float32)
    ty = np.clip((yy - (oy + top * bh)) / max(1.0, (bot - top) * bh), 0, 1)
    shade = shade * (1.05 - 0.15 * ty)
    tex = np.asarray(color, dtype=np.float32)[None, None, :] * shade[..., None]
    mask_img = Image.fromarray(np.clip(tex, 0, 255).astype(np.uint8)).convert("RGBA")
    mask_img.putalpha(alpha)

    d = ImageDraw.Draw(mask_img)
    pleat = _shade(color, 0.78)
    for j in range(1, 4):
        fy = top + (0.84 - top) * j / 4
        d.line(
            [p(lx + 0.03, fy + 0.01), p(0.5, fy), p(rx - 0.03, fy + 0.01)],
            fill=pleat + (255,),
            width=_w(bh * 0.008),
        )
    d.line(outline[:3], fill=_mix(color, (255, 255, 255), 0.4) + (255,), width=_w(bh * 0.015))
    loop = (236, 236, 236, 255)
    lw = _w(bh * 0.008)
    d.line([outline[0], p(0.02, 0.45)], fill=loop, width=lw)
    d.line([outline[-1], p(0.03, 0.62)], fill=loop, width=lw)
    d.line([outline[2], p(0.98, 0.45)], fill=loop, width=lw)
    d.line([outline[3], p(0.97, 0.62)], fill=loop, width=lw)

    mask_small = mask_img.resize((crop.width, crop.height), Image.LANCZOS)
    base = crop.convert("RGBA")
    base.alpha_composite(mask_small)
    out.paste(base.convert(out.mode), (x0, y0))
    return out


# ----------------------------------------------------------------------------------------------- scenes
SCENE_VERSION = 1
SCENE_MARKER = MARKER_NAME


def _voc_xml(name: str, width: int, height: int, faces: list[tuple[str, tuple[int, int, int, int]]]) -> str:
    """PASCAL VOC, as Kaggle's mask dataset writes it: one <object> per face with its class and corners."""
    objects = "".join(
        f"<object><name>{label}</name><bndbox><xmin>{x}</xmin><ymin>{y}</ymin><xmax>{x + w}</xmax>"
        f"<ymax>{y + h}</ymax></bndbox></object>"
        for label, (x, y, w, h) in faces
    )
    size = f"<size><width>{width}</width><height>{height}</height><depth>3</depth></size>"
    return f"<annotation><filename>{name}</filename>{size}{objects}</annotation>\n"


def draw_scene(rng: np.random.Generator, width: int = 480, height: int = 360) -> tuple[Image.Image, list]:
    """A drawn 'crowd': 2-7 drawn faces of 24-120 px on a gradient wall, and each face's class and box."""
    top, bottom = rng.integers(40, 215, size=(2, 3))
    ramp = np.linspace(0, 1, height)[:, None, None]
    wall = np.broadcast_to(top * (1 - ramp) + bottom * ramp, (height, width, 3))
    picture = Image.fromarray(np.clip(wall, 0, 255).astype(np.uint8))
    faces: list[tuple[str, tuple[int, int, int, int]]] = []
    taken: list[tuple[int, int, int, int]] = []
    for _ in range(int(rng.integers(2, 8))):
        side = int(rng.integers(24, 121))
        x, y = int(rng.integers(0, width - side)), int(rng.integers(0, height - side))
        if any(x < a + c and a < x + side and y < b + d and b < y + side for a, b, c, d in taken):
            continue  # faces do not overlap
        masked = bool(rng.random() < 0.6)
        picture.paste(draw_face(rng, masked, size=side), (x, y))
        taken.append((x, y, side, side))
        inset = round(side * 0.15)  # the face inside its drawn square, as a face detector would box it
        faces.append(
            (
                "with_mask" if masked else "without_mask",
                (x + inset, y + inset, side - 2 * inset, side - 2 * inset),
            )
        )
    return picture, faces


def generate_demo_scenes(root: Path, n_photos: int = 60, seed: int = 0) -> Path:
    """Write root/images/demo_scene_000.jpg... and root/annotations/demo_scene_000.xml (PASCAL VOC) with the
    SYNTHETIC marker: a scene dataset with known boxes for lesson 09 when no real one is given. Idempotent."""
    root = Path(root)
    marker = (
        f"SYNTHETIC DEMO SCENES - NOT REAL PEOPLE\nscene_version = {SCENE_VERSION}\nn_photos = {n_photos}\n"
    )
    marker += f"seed = {seed}\n"
    if (root / SCENE_MARKER).is_file() and (root / SCENE_MARKER).read_text(encoding="utf-8") == marker:
        return root
    root.parent.mkdir(parents=True, exist_ok=True)  # the temporary folder beside it: os.replace is a rename
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.partial-", dir=root.parent))
    try:
        (tmp / "images").mkdir()
        (tmp / "annotations").mkdir()
        for i in range(n_photos):
            picture, faces = draw_scene(np.random.default_rng([seed, 7, i]))
            name = f"demo_scene_{i:03d}"
            picture.save(tmp / "images" / f"{name}.jpg", "JPEG", quality=90)
            xml = _voc_xml(f"{name}.jpg", picture.width, picture.height, faces)
            (tmp / "annotations" / f"{name}.xml").write_text(xml, encoding="utf-8")
        (tmp / SCENE_MARKER).write_text(marker, encoding="utf-8")
        shutil.rmtree(root, ignore_errors=True)
        os.replace(tmp, root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root
