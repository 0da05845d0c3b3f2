"""Drawn demo faces and scenes, so every lesson runs offline: masks vary, hands and scarves are no masks."""

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

DEMO_VERSION = 4  # bump when the drawing changes, so cached datasets are drawn again
SCENE_VERSION = 4
CLASS_FOLDERS = {"mask": "with_mask", "no_mask": "without_mask"}
MARKER_NAME = "SYNTHETIC_DEMO_DATA.txt"
COPY_EVERY = 25  # image i with i % 25 == 24 is image i - 1 again: downloads often hold a photo twice
JUNK_FILE = ".DS_Store"  # what a folder zipped on a Mac brings along
_README = """SYNTHETIC DEMO DATA - NOT REAL PEOPLE: every image here was drawn by helpers/demo_data.py.
Results measured on it say NOTHING about real faces and masks. Drawn again when any of these change:
"""
_VOC = "<annotation><filename>{}</filename><size><width>{}</width><height>{}</height></size>{}</annotation>\n"
_VOC_OBJECT = "<object><name>{}</name><bndbox><xmin>{}</xmin><ymin>{}</ymin><xmax>{}</xmax><ymax>{}</ymax>"
_VOC_OBJECT += "</bndbox></object>"
_SS = 2  # drawn at twice the size and shrunk, so edges are smooth like a photo's

Color = tuple[int, ...]
# Ten skin tones; masks light and dark, surgical and fashion colours: neither brightness nor hue is the class.
_SKIN = "ffe4d2 f4d0b6 e8ba98 d6a07a be8660 a06c4a 805438 623e2a 48301f 32201a".split()
_HAIR = "161210 3c281c 765030 c8a86c 8c3e1e a0a0a0".split()
_MASK_COLOURS = "f0f0ee a0cce8 6496d2 1c1c20 828288 28345c be2830 e8a6ba 5a966e d6bea0".split()


def _shade(colour: Color, factor: float) -> Color:
    return tuple(max(0, min(255, round(v * factor))) for v in colour)


def _pick(rng: np.random.Generator, palette: list[str]) -> Color:
    return tuple(bytes.fromhex(palette[int(rng.integers(len(palette)))]))


def _paint_mask(d: ImageDraw.ImageDraw, box: list[float], colour: Color, cloth: bool) -> None:
    """A mask filling box (x0, y0, x1, y1): pleated surgical or plain cloth, ear loops up to 14 % outside."""
    x0, y0, x1, y1 = box
    w, h, cx = x1 - x0, y1 - y0, (x0 + x1) / 2
    top = [(x0, y0 + 0.1 * h), (cx, y0 - (0.04 * h if cloth else 0)), (x1, y0 + 0.1 * h)]
    t = np.linspace(0, math.pi, 9)
    rim = list(zip(cx + w / 2 * np.cos(t), y0 + h * (0.45 + 0.55 * np.sin(t)), strict=True))
    d.polygon(top + rim, fill=colour)
    line, width = _shade(colour, 0.72 if sum(colour) > 200 else 2.2), max(1, round(h / 40))
    if not cloth:
        for f in (0.3, 0.5, 0.7):
            d.line([(x0 + 0.06 * w, y0 + f * h), (x1 - 0.06 * w, y0 + f * h)], fill=line, width=width)
        d.line(top, fill=_shade(colour, 1.25), width=2 * width)  # the nose wire's band
    for x, side in ((x0, -1), (x1, 1)):  # the ear loops
        for start, end, reach in ((0.1, -0.05, 0.14), (0.55, 0.35, 0.13)):
            d.line([x, y0 + start * h, x + side * reach * w, y0 + end * h], fill=(236,) * 3, width=width)


def _background(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """A wall: two random colours blended along a random direction."""
    ramp = Image.linear_gradient("L").rotate(rng.uniform(0, 360), Image.BILINEAR).crop((64, 64, 192, 192))
    dark, light = (tuple(int(v) for v in rng.integers(20, 235, 3)) for _ in range(2))
    return ImageOps.colorize(ramp, dark, light).resize((width, height), Image.BILINEAR)


def draw_face(rng: np.random.Generator, masked: bool, size: int = 128) -> tuple[Image.Image, tuple[int, ...]]:
    """One drawn RGB face, size x size, and its box (x, y, w, h: forehead to chin); all chance from rng."""
    s = size * _SS
    skin = _shade(_pick(rng, _SKIN), rng.uniform(0.93, 1.07))
    hair, colour = _pick(rng, _HAIR), _pick(rng, _MASK_COLOURS)
    b = s * rng.uniform(0.32, 0.42)  # half the head's height; a: half its width
    a, cx, cy = b * rng.uniform(0.72, 0.82), s * rng.uniform(0.4, 0.6), s * rng.uniform(0.42, 0.55)

    def at(u: float, v: float, hu: float = 0.0, hv: float = 0.0) -> list[float]:
        """The box (x0, y0, x1, y1) around (u, v) in head units: a across, b down from the head's centre."""
        return [cx + (u - hu) * a, cy + (v - hv) * b, cx + (u + hu) * a, cy + (v + hv) * b]

    img = _background(rng, s, s)
    d = ImageDraw.Draw(img)
    d.ellipse(at(0, 2.6, 2.2, 1.35), fill=_pick(rng, _MASK_COLOURS))  # shoulders
    d.rectangle(at(0, 0.95, 0.45, 0.45), fill=_shade(skin, 0.85))  # neck
    d.ellipse(at(0, 0, 1, 1), fill=skin)
    if rng.random() < 0.9:  # not bald: hair from the crown down to a hairline
        hairline = rng.uniform(-0.5, -0.1)
        d.chord(at(0, (hairline - 1.06) / 2, 1.03, (hairline + 1.06) / 2), 180, 360, fill=hair)
    eye_u, eye_v = rng.uniform(0.34, 0.42), rng.uniform(-0.15, -0.05)
    for u in (-eye_u, eye_u):
        d.ellipse(at(u, eye_v, 0.17, 0.06), fill=(240, 238, 232))
        d.ellipse(at(u, eye_v, 0.085, 0.06), fill=(70, 44, 26))
        d.ellipse(at(u, eye_v, 0.035, 0.025), fill=(10, 10, 10))
        d.line(at(u, eye_v - 0.15, 0.17, 0.02 * np.sign(u)), fill=_shade(hair, 0.7), width=round(b / 20))
    d.ellipse(at(0, rng.uniform(0.25, 0.33), 0.15, 0.03), fill=_shade(skin, 0.5))  # the nose's shadow
    lips = _shade((170, 70, 80), sum(skin) / 600 + 0.3)
    d.chord(at(0, rng.uniform(0.49, 0.57), rng.uniform(0.22, 0.34), rng.uniform(0.03, 0.1)), 0, 180, lips)
    if masked:  # over the nose, or (one in five) worn below it
        top = rng.uniform(0.34, 0.4) if rng.random() < 0.2 else rng.uniform(0.08, 0.18)
        _paint_mask(d, at(0, (top + 1.04) / 2, 0.86, (1.0 - top) / 2), colour, cloth=rng.random() < 0.45)
    elif rng.random() < 0.15:  # a hand over the mouth or chin: skin that covers the lower face, no mask
        d.ellipse(at(rng.uniform(-0.3, 0.3), rng.uniform(0.5, 0.85), 0.4, 0.25), fill=_shade(skin, 0.92))
    elif rng.random() < 0.18:  # a scarf wrapped under the chin, never over the mouth
        d.rounded_rectangle(at(0, rng.uniform(1.1, 1.2), 1.1, 0.22), radius=0.2 * b, fill=colour)
    # the camera: exposure, light from one side, sensor noise, and now and then a little blur
    light = rng.uniform(0.6, 1.25) * (1 + rng.uniform(-0.35, 0.35) * np.linspace(-1, 1, size))[None, :, None]
    noise = rng.normal(0, rng.uniform(0, 6), (size, size, 3))
    pixels = np.asarray(img.reduce(_SS), np.float32) * light + noise
    img = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if rng.random() < 0.2:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0) * size / 128))
    x0, y0, x1, y1 = (round(v / _SS) for v in at(0, 0.125, 1, 0.925))
    return img, (x0, y0, x1 - x0, y1 - y0)


def add_synthetic_mask(
    image: Image.Image, face_box: tuple[int, int, int, int], color: Color = (70, 130, 200), seed: int = 0
) -> Image.Image:
    """A copy of a photo with a surgical mask in its light on the lower face_box (x, y, w, h), RGB(A)."""
    out = image.copy() if image.mode in ("RGB", "RGBA") else image.convert("RGB")
    x, y, w, h = (round(v) for v in face_box)
    if w < 4 or h < 4:
        return out
    left, top = np.random.default_rng([seed, 7]).uniform(-0.015, 0.015, 2) + (0.14, 0.56)
    layer = Image.new("RGBA", (w * _SS, h * _SS))
    box = [v * _SS for v in (left * w, top * h, 0.86 * w, 0.97 * h)]
    _paint_mask(ImageDraw.Draw(layer), box, color, cloth=False)
    layer = layer.resize((w, h), Image.LANCZOS)
    photo = out.crop((x, y, x + w, y + h)).convert("L").filter(ImageFilter.GaussianBlur(max(1, w / 10)))
    lum, inside = np.asarray(photo, np.float32), np.asarray(layer)[..., 3] > 0
    shade = np.clip(0.8 + 0.25 * lum / max(float(lum[inside].mean()), 1), 0.75, 1.15)  # the photo's light
    rgb = np.asarray(layer.convert("RGB"), np.float32) * shade[..., None]
    out.paste(Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)), (x, y), layer)  # PIL clips at the edges
    return out


def draw_scene(rng: np.random.Generator, width: int = 480, height: int = 360) -> tuple[Image.Image, list]:
    """A drawn 'crowd' on a wall: 2-7 faces of 24-120 px, one per 120 px square, each with class and box."""
    picture, faces, columns = _background(rng, width, height), [], width // 120
    for cell in rng.permutation(columns * (height // 120))[: rng.integers(2, 8)]:
        side, (row, column) = int(rng.integers(24, 121)), divmod(int(cell), columns)
        x, y = 120 * column + int(rng.integers(0, 121 - side)), 120 * row + int(rng.integers(0, 121 - side))
        face, (fx, fy, fw, fh) = draw_face(rng, masked := bool(rng.random() < 0.6), side)
        picture.paste(face, (x, y))
        faces.append((CLASS_FOLDERS["mask" if masked else "no_mask"], (x + fx, y + fy, fw, fh)))
    return picture, faces


def _needs_drawing(root: Path, settings: str, expected: dict[str, int]) -> bool:
    """False if the marker records these settings and all demo_* files are there; else those and it go."""
    if is_demo_dataset(root) and (root / MARKER_NAME).read_text(encoding="utf-8") == _README + settings:
        if all(len(list((root / d).glob("demo_*"))) == n for d, n in expected.items()):
            return False
    (root / MARKER_NAME).unlink(missing_ok=True)
    for folder in expected:
        (root / folder).mkdir(parents=True, exist_ok=True)
        for stale in (root / folder).glob("demo_*"):
            stale.unlink()
    return True


def generate_demo_dataset(root: Path, n_per_class: int = 300, size: int = 128, seed: int = 0) -> Path:
    """with_mask/demo_00000.jpg ..., without_mask/..., junk, a marker; image i: just (seed, class, i, size)"""
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be at least 1, got {n_per_class}")
    settings = f"demo_version = {DEMO_VERSION}\nn_per_class = {n_per_class}\nsize = {size}\nseed = {seed}\n"
    if _needs_drawing(root, settings, dict.fromkeys(CLASS_FOLDERS.values(), n_per_class)):
        for class_index, (key, folder) in enumerate(CLASS_FOLDERS.items()):
            for i in range(n_per_class):  # every COPY_EVERY-th image is the one before it again
                rng = np.random.default_rng([seed, class_index, i - (i % COPY_EVERY == COPY_EVERY - 1)])
                face = draw_face(rng, key == "mask", size)[0]
                face.save(root / folder / f"demo_{i:05d}.jpg", "JPEG", quality=int(rng.integers(70, 96)))
        (root / CLASS_FOLDERS["no_mask"] / JUNK_FILE).write_bytes(b"\0\0\0\1Bud1")
        (root / MARKER_NAME).write_text(_README + settings, encoding="utf-8")  # last: never a half dataset
    return root


def generate_demo_scenes(root: Path, n_photos: int = 60, seed: int = 0) -> Path:
    """images/demo_scene_000.jpg ..., annotations/demo_scene_000.xml (PASCAL VOC, as Kaggle's), the marker."""
    settings = f"scene_version = {SCENE_VERSION}\nn_photos = {n_photos}\nseed = {seed}\n"
    if _needs_drawing(root, settings, dict.fromkeys(("images", "annotations"), n_photos)):
        for i in range(n_photos):
            picture, faces = draw_scene(np.random.default_rng([seed, 7, i]))
            picture.save(root / "images" / f"demo_scene_{i:03d}.jpg", "JPEG", quality=90)
            objects = "".join(_VOC_OBJECT.format(c, x, y, x + w, y + h) for c, (x, y, w, h) in faces)
            xml = _VOC.format(f"demo_scene_{i:03d}.jpg", *picture.size, objects)
            (root / "annotations" / f"demo_scene_{i:03d}.xml").write_text(xml, encoding="utf-8")
        (root / MARKER_NAME).write_text(_README + settings, encoding="utf-8")
    return root


def is_demo_dataset(root: Path) -> bool:
    """True when root holds the marker file (so lessons can label results as synthetic)."""
    return (Path(root) / MARKER_NAME).is_file()
