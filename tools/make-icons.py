#!/usr/bin/python3
"""The hall's app icons (web/icon-192.png, web/icon-512.png): a red memorial disc with 馆 in gold
on the page's dark ground. Run once when the design changes; the PNGs are committed."""
from PIL import Image, ImageDraw, ImageFont

for size in (192, 512):
    img = Image.new("RGB", (size, size), (20, 20, 24))
    d = ImageDraw.Draw(img)
    m = size * 0.08  # maskable icons keep their subject inside the middle 80 %
    d.ellipse([m, m, size - m, size - m], fill=(192, 57, 43))
    font = ImageFont.truetype("assets/fonts/wqy-microhei.ttf", int(size * 0.5))
    d.text((size / 2, size / 2), "馆", font=font, fill=(245, 215, 122), anchor="mm")
    img.save(f"web/icon-{size}.png", optimize=True)
