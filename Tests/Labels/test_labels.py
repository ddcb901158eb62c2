"""The labels CryoLedger prints, decoded by tools that are not CryoLedger's: zint renders each Data Matrix payload of
the ZPL, pylibdmtx reads it back, and the ISBT 128 compound message is recomputed here from the standard's rules."""
import datetime
import os
import re
import socket
import subprocess
import tempfile
import threading

import pytest
from PIL import Image, ImageOps
from pylibdmtx.pylibdmtx import decode

BIN = os.environ["LABELS_BIN"]
LOT = os.environ["LABELS_LOT"]
TOKENS = dict(line.split("=", 1) for line in open(os.environ["LABELS_TOKENS_FILE"]).read().split())
QA = TOKENS["CRYOLEDGER_TOKEN_QA"]
FIN = os.environ["CRYOLEDGER_ISBT128_FIN"]
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"


def mod37_2(body):
    """ISO 7064 MOD 37-2 as the JPAC Red Book's annex 2 states it: weights 2^n from the right, mod 37, 38 minus, mod 37."""
    total = sum(ALPHABET.index(ch) * 2 ** (len(body) - i) for i, ch in enumerate(body))
    return (38 - total % 37) % 37


def cli(*args):
    run = subprocess.run([BIN, *args], capture_output=True, text=True, env={**os.environ, "CRYOLEDGER_TOKEN": QA})
    assert run.returncode == 0, run.stderr
    return run.stdout


def formats(zpl):
    return [f for f in zpl.split("^XZ") if "^XA" in f]


def matrices(fmt):
    """The ^FD data of every ^BX field, in order."""
    return [m.group(1) for m in re.finditer(r"\^BX[^\^]*(?:\^FH\\)?\^FD(.*?)\^FS", fmt, re.S)]


def render_and_decode(payload):
    with tempfile.TemporaryDirectory() as d:
        png = os.path.join(d, "dm.png")
        subprocess.run(["zint", "-b", "71", "--scale", "4", "--data", payload, "-o", png], check=True, capture_output=True)
        # zint draws no quiet zone around a Data Matrix; libdmtx needs one, as a label's white margin gives it.
        found = decode(ImageOps.expand(Image.open(png).convert("L"), border=16, fill=255))
    assert len(found) == 1
    return found[0].data.decode("ascii")


def test_published_check_character_example():
    assert mod37_2("G123498654321") == 17 and ALPHABET[17] == "H"


def test_vial_ids_decode_from_the_zpl():
    zpl = cli("vial", "labels", "--lot", LOT, "--zpl", "-")
    fmts = formats(zpl)
    assert len(fmts) >= 3
    for fmt in fmts:
        assert "^PW600" in fmt and "^LL300" in fmt
        vial = matrices(fmt)[0]
        assert re.fullmatch(r"CV\d{10}[0-9A-Z*]", vial)
        assert ALPHABET[mod37_2(vial[:-1])] == vial[-1]
        assert render_and_decode(vial) == vial
        assert re.search(r"\^BC[^\^]*\^FD" + re.escape(vial) + r"\^FS", fmt)


def expected_compound(vial, manufactured, expires, description, donation_type):
    body = f"{FIN}{manufactured.year % 100:02d}{int(vial[2:12]):06d}"
    din = "=" + body + str(60 + mod37_2(body))
    product = "=<" + description + donation_type + "00"
    julian = expires.timetuple().tm_yday
    expiry = f"&>{(expires.year - 2000) // 100}{expires.year % 100:02d}{julian:03d}2359"
    return "=+03000" + din + product + expiry


def test_isbt128_compound_message_decodes():
    zpl = cli("vial", "labels", "--lot", LOT, "--zpl", "-")
    code = re.search(r"\^FD(\S+)  ", formats(zpl)[0]).group(1)
    cli("product", "isbt128", "--product", code, "--description", "S1194", "--donation-type", "V")
    try:
        zpl = cli("vial", "labels", "--lot", LOT, "--zpl", "-")
    finally:
        cli("product", "isbt128", "--product", code, "--off")
    for fmt in formats(zpl):
        vial, compound = matrices(fmt)
        expires = datetime.date.fromisoformat(re.search(r"EXP (\d{4}-\d{2}-\d{2})", fmt).group(1))
        decoded = render_and_decode(compound)
        assert decoded == compound
        manufactured = datetime.date.fromisoformat(subprocess.run(
            ["psql", "-Atq", os.environ["LABELS_DB_URL"], "-c", f"SELECT manufactured_on FROM lot WHERE lot_number = '{LOT}'"],
            check=True, capture_output=True, text=True).stdout.strip())
        assert decoded == expected_compound(vial, manufactured, expires, "S1194", "V")
        body = decoded[8:21]
        assert f"DIN {body[:5]} {body[5:7]} {body[7:]} {ALPHABET[mod37_2(body)]}" in fmt


def test_print_sends_the_same_zpl_to_a_printer():
    port = int(os.environ["LABELS_PORT"])
    server = socket.create_server(("127.0.0.1", port))
    received = []

    def accept():
        conn, _ = server.accept()
        chunks = []
        while data := conn.recv(65536):
            chunks.append(data)
        conn.close()
        received.append(b"".join(chunks).decode())

    t = threading.Thread(target=accept)
    t.start()
    out = cli("vial", "labels", "--lot", LOT, "--print", "--printer", f"127.0.0.1:{port}")
    t.join(10)
    server.close()
    assert re.match(rf"\d+ labels sent to the printer at 127.0.0.1:{port}\.", out)
    assert received == [cli("vial", "labels", "--lot", LOT, "--zpl", "-")]


def test_a_printer_that_is_not_there_is_refused_in_words():
    s = socket.create_server(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    run = subprocess.run([BIN, "vial", "labels", "--lot", LOT, "--print", "--printer", f"127.0.0.1:{port}"],
                         capture_output=True, text=True, env={**os.environ, "CRYOLEDGER_TOKEN": QA})
    assert run.returncode != 0
    assert f"were not sent to the printer: the printer at 127.0.0.1:{port} refused the connection" in run.stderr
