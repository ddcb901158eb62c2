#!/usr/bin/env python3
"""Writes DIR/lots.csv and DIR/vials.csv for the import benchmark and the SIGTERM check: N vials with
valid MOD 37-2 ids (serials from FIRST_SERIAL), over lots PREFIX-0000, PREFIX-0001, ... of 10,000 vials.

  make_csv.py N DIR PREFIX FIRST_SERIAL
"""
import sys

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"


def vial_id(serial):
    body = "CV%010d" % serial
    p = 0
    for ch in body:
        p = ((p + ALPHABET.index(ch)) * 2) % 37
    return body + ALPHABET[(38 - p) % 37]


def main():
    n, home, prefix, first = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    lots = (n + 9999) // 10000
    with open(f"{home}/lots.csv", "w") as f:
        f.write("lotNumber,productCode,donorCode,manufacturedOn,cellsPerVial,vialCount\n")
        for lot in range(lots):
            f.write(f"{prefix}-{lot:04d},ALLO-501,DN-000101,2026-06-01,40000000,10000\n")
    with open(f"{home}/vials.csv", "w") as f:
        f.write("vialId,lotNumber\n")
        for i in range(n):
            f.write(f"{vial_id(first + i)},{prefix}-{i // 10000:04d}\n")


if __name__ == "__main__":
    main()
