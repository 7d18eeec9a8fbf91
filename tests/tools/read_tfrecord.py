#!/usr/bin/env python3
"""An independent TFRecord reader: plain Python 3, its own CRC32C.

Verifies the framing and both CRCs of every record of FILE and prints one
line per record: "<offset> <length> <base64 of the data>". With --out-dir
DIR it also writes each record's raw bytes to DIR/record-NNNNN.bin, ready
for `protoc --decode=ftcapture.v1.Example ... < record-00000.bin`.

Exit status: 0 when every record verifies, 1 on a bad CRC or a torn tail
(reported on stderr), 2 on usage errors.
"""

import argparse
import base64
import os
import struct
import sys

_POLY = 0x82F63B78
_TABLE = []
for _b in range(256):
    _c = _b
    for _ in range(8):
        _c = (_c >> 1) ^ (_POLY if _c & 1 else 0)
    _TABLE.append(_c)


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFFFFFF


def masked_crc(data):
    crc = crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def read_records(blob):
    """Yields (offset, data); raises ValueError at the first bad record."""
    pos = 0
    while pos < len(blob):
        if len(blob) - pos < 12:
            raise ValueError("torn tail at offset %d: %d header bytes"
                             % (pos, len(blob) - pos))
        header = blob[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", blob[pos + 8:pos + 12])
        if masked_crc(header) != length_crc:
            raise ValueError("length CRC mismatch at offset %d" % pos)
        end = pos + 12 + length + 4
        if end > len(blob):
            raise ValueError("torn tail at offset %d: record needs %d bytes"
                             % (pos, end - pos))
        data = blob[pos + 12:pos + 12 + length]
        (data_crc,) = struct.unpack("<I", blob[end - 4:end])
        if masked_crc(data) != data_crc:
            raise ValueError("data CRC mismatch at offset %d" % pos)
        yield pos, data
        pos = end


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--out-dir", help="write raw records here")
    args = parser.parse_args()
    with open(args.file, "rb") as f:
        blob = f.read()
    if args.out_dir:
        os.makedirs(args.out_dir, exist_ok=True)
    count = 0
    try:
        for offset, data in read_records(blob):
            print("%d %d %s" % (offset, len(data),
                                base64.b64encode(data).decode("ascii")))
            if args.out_dir:
                name = os.path.join(args.out_dir, "record-%05d.bin" % count)
                with open(name, "wb") as out:
                    out.write(data)
            count += 1
    except ValueError as error:
        print("%s: %s (after %d good records)" % (args.file, error, count),
              file=sys.stderr)
        return 1
    print("%s: %d records, all CRCs verified" % (args.file, count),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
