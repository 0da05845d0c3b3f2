"""The few facts every part of the course agrees on; data only, so any module can import it cheaply."""

CLASS_NAMES: tuple[str, ...] = ("mask", "no_mask")  # model output k is CLASS_NAMES[k]
ALL_CLASS_NAMES: tuple[str, ...] = ("mask", "no_mask", "incorrect")  # opt-in: + a mask below the nose or chin
SPLITS: tuple[str, ...] = ("train", "val", "test")
# ImageNet's per-channel mean and standard deviation: what pretrained backbones expect their inputs scaled by.
IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)
FACE_MARGIN = 0.2  # added on each side of a detected face: datasets frame faces more loosely than YuNet does
LABEL_TEXT = {"mask": "mask", "no_mask": "no mask", "incorrect": "mask worn wrong"}
LABEL_RGB = {"mask": (0, 160, 60), "no_mask": (220, 40, 40), "incorrect": (240, 150, 0)}  # box colours
UNSURE_BELOW = 0.65  # answers less confident than this are worded as a guess
