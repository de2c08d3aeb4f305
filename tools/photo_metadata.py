"""What a photo says about itself that its outputs keep, filtered to what the output can hold.

Outputs keep descriptive EXIF only: who, what, when and with which camera (IFD0's description, make, model,
date, artist, copyright..., the EXIF and GPS directories), never the source file's layout. A TIFF's
``getexif()`` is its whole tag directory (width, bits per sample, photometric interpretation, strip offsets,
extra samples, ink set...); written back into a TIFF, those tags describe pixels the output does not have and
make it unreadable. The ICC profile goes only where its color space fits the written mode.
"""
from __future__ import annotations

from dataclasses import dataclass

from PIL import Image
from PIL.ExifTags import IFD
from PIL.ExifTags import Base as Tag

# IFD0 tags that describe the photo, not how a file lays out its samples (TIFF 6.0, EXIF 2.32).
DESCRIPTIVE = frozenset({
    Tag.DocumentName, Tag.ImageDescription, Tag.Make, Tag.Model, Tag.Orientation, Tag.XResolution,
    Tag.YResolution, Tag.ResolutionUnit, Tag.Software, Tag.DateTime, Tag.Artist, Tag.HostComputer,
    Tag.Copyright, Tag.Rating, Tag.RatingPercent, Tag.XPTitle, Tag.XPComment, Tag.XPAuthor, Tag.XPKeywords,
    Tag.XPSubject,
})
# EXIF-directory tags about the source file's encoding: pixel dimensions (wrong once the photo is turned
# upright), JPEG component layout and bits per pixel, and the pointer to an interoperability directory.
SOURCE_ONLY = frozenset({Tag.ExifImageWidth, Tag.ExifImageHeight, Tag.ComponentsConfiguration,
                         Tag.CompressedBitsPerPixel, IFD.Interop})
EXIF_FORMATS = ("PNG", "JPEG", "TIFF", "WEBP")  # the output formats that hold EXIF (BMP holds none)
ICC_FORMATS = ("PNG", "JPEG", "TIFF", "WEBP")
JPEG_EXIF_LIMIT = 65533 - 8  # one APP1 segment, less its length and "Exif\0\0" header
GRAY_MODES = ("1", "L", "LA", "I;16", "I;16B", "I;16L", "I")
# What Pillow raises on an EXIF block it cannot parse or write back (a malformed tag, a wrong count or type).
MALFORMED = (ValueError, TypeError, KeyError, OverflowError, OSError, SyntaxError, ArithmeticError, IndexError)


@dataclass(frozen=True)
class PhotoMetadata:
    """The descriptive EXIF of a photo (orientation applied to the pixels, so its tag reads 1) and its ICC
    color profile."""

    exif: bytes | None = None
    icc: bytes | None = None

    def icc_for(self, gray: bool) -> bytes | None:
        """The ICC profile when it describes ``gray`` or RGB pixels (a CMYK profile does not fit converted pixels)."""
        if not self.icc or len(self.icc) < 20:
            return None
        return self.icc if self.icc[16:20] == (b"GRAY" if gray else b"RGB ") else None


def descriptive_exif(source: Image.Exif) -> Image.Exif:
    """A copy of ``source`` with its descriptive tags only (see :data:`DESCRIPTIVE`), the EXIF directory less
    :data:`SOURCE_ONLY`, the GPS directory, and the orientation reset to 1."""
    kept = Image.Exif()
    for tag, value in source.items():
        if tag in DESCRIPTIVE:
            kept[tag] = value
    if Tag.Orientation in kept:
        kept[Tag.Orientation] = 1
    details = {tag: value for tag, value in source.get_ifd(IFD.Exif).items() if tag not in SOURCE_ONLY}
    if details:
        kept[IFD.Exif] = details
    gps = source.get_ifd(IFD.GPSInfo)
    if gps:
        kept[IFD.GPSInfo] = dict(gps)
    return kept


def _exif_bytes(exif: Image.Exif) -> bytes | None:
    """``exif`` serialized, or None when empty or when a value cannot be written (a malformed tag)."""
    if not len(exif):
        return None
    try:
        return exif.tobytes()
    except MALFORMED:
        return None


def read_metadata(img: Image.Image) -> PhotoMetadata:
    """The descriptive EXIF and the ICC profile of an opened image; a malformed EXIF is left out, never an error."""
    try:
        exif = descriptive_exif(img.getexif())  # a copy: the image's own EXIF still orients its pixels
    except MALFORMED:
        exif = Image.Exif()
    icc = img.info.get("icc_profile")
    return PhotoMetadata(exif=_exif_bytes(exif), icc=icc if isinstance(icc, bytes) and icc else None)


def _fitting_exif(fmt: str, exif: bytes) -> bytes | None:
    """``exif`` as ``fmt`` can hold it: in JPEG's one 64 KB segment, without the maker note when that is what
    overflows it, else not at all."""
    if fmt != "JPEG" or len(exif) <= JPEG_EXIF_LIMIT:
        return exif
    smaller = Image.Exif()
    smaller.load(exif)
    details = {tag: value for tag, value in smaller.get_ifd(IFD.Exif).items() if tag != Tag.MakerNote}
    if details:
        smaller[IFD.Exif] = details
    squeezed = _exif_bytes(smaller)
    return squeezed if squeezed and len(squeezed) <= JPEG_EXIF_LIMIT else None


def metadata_options(fmt: str, metadata: PhotoMetadata | None, mode: str) -> dict:
    """Pillow save options that carry ``metadata`` into a file of format ``fmt`` holding pixels of ``mode``:
    EXIF where the format holds it, the ICC profile where the format holds one and its color space fits."""
    if metadata is None:
        return {}
    options = {}
    exif = _fitting_exif(fmt, metadata.exif) if metadata.exif and fmt in EXIF_FORMATS else None
    if exif:
        options["exif"] = exif
    icc = metadata.icc_for(mode in GRAY_MODES) if fmt in ICC_FORMATS else None
    if icc:
        options["icc_profile"] = icc
    return options
