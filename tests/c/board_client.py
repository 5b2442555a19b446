#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""board_client.py VBOARD [SOAK] - a plain client of the virtual board, independent of the
C library: only os, termios, select, struct (no pyserial) and nca_ids.py, the protocol's
numbers generated from tools/gen_ids.py. It spawns `VBOARD --stdin-eof`,
reads "pty: PATH", opens the pty raw and checks, through packets it builds itself from
docs/protocol.md: INFO, error statuses, silence on corrupted packets, recovery after random
garbage, and a soak of SOAK (default 200) requests. Prints "PASS name" / "FAIL name: why"
lines; exit status 1 if anything failed."""
import os
import random
import select
import struct
import sys
import termios
import time

from nca_ids import (CMD_ANSWER, CMD_INFO, CMD_SEED, CMD_STATS, CMD_STEP, ST_BAD_ARG,
                     ST_BAD_CMD, ST_BAD_LEN, ST_NO_MODEL, ST_OK, SYNC0, SYNC1)

SYNC = bytes([SYNC0, SYNC1])


def crc16(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def packet(cmd, seq, payload=b""):
    body = bytes([cmd, seq]) + struct.pack("<H", len(payload)) + payload
    return SYNC + body + struct.pack("<H", crc16(body))


class Board:
    def __init__(self, binary):
        r_in, self.w_in = os.pipe()
        self.r_out, w_out = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            os.dup2(r_in, 0)
            os.dup2(w_out, 1)
            try:
                os.execv(binary, [binary, "--stdin-eof"])
            finally:
                os._exit(127)
        os.close(r_in)
        os.close(w_out)
        line = b""
        end = time.monotonic() + 30
        while not line.endswith(b"\n"):
            if not select.select([self.r_out], [], [], max(0.0, end - time.monotonic()))[0]:
                raise RuntimeError("no pty line within 30 s")
            c = os.read(self.r_out, 1)
            if not c:
                raise RuntimeError("the board exited before naming its pty")
            line += c
        text = line.decode().strip()
        if not text.startswith("pty: "):
            raise RuntimeError("first line %r, expected 'pty: PATH'" % text)
        self.fd = os.open(text[5:], os.O_RDWR | os.O_NOCTTY)
        a = termios.tcgetattr(self.fd)
        a[0] = 0  # iflag: no CR/LF mapping, no XON/XOFF
        a[1] = 0  # oflag: no post-processing
        a[2] = (a[2] & ~(termios.CSIZE | termios.PARENB | termios.CSTOPB)) | termios.CS8 | \
            termios.CREAD | termios.CLOCAL
        a[3] = 0  # lflag: no echo, not canonical, no signals
        a[6][termios.VMIN] = 0
        a[6][termios.VTIME] = 0
        termios.tcsetattr(self.fd, termios.TCSANOW, a)
        self.buf = b""
        self.seq = 0

    def close(self):
        os.close(self.fd)
        os.close(self.w_in)  # EOF: the board exits
        end = time.monotonic() + 5
        while time.monotonic() < end:
            if os.waitpid(self.pid, os.WNOHANG)[0]:
                break
            time.sleep(0.02)
        else:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        os.close(self.r_out)

    def send(self, data):
        while data:
            data = data[os.write(self.fd, data):]

    def _fill(self, timeout):
        if select.select([self.fd], [], [], timeout)[0]:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                chunk = b""
            self.buf += chunk
            return True
        return False

    def recv(self, timeout):
        """Next packet that checks: (cmd, seq, payload), or None after timeout seconds."""
        end = time.monotonic() + timeout
        while True:
            i = self.buf.find(SYNC)
            if i < 0:
                self.buf = self.buf[-1:] if self.buf.endswith(SYNC[:1]) else b""
            else:
                self.buf = self.buf[i:]
                if len(self.buf) >= 6:
                    n = struct.unpack_from("<H", self.buf, 4)[0]
                    if len(self.buf) >= 8 + n:
                        body = self.buf[2:6 + n]
                        if struct.unpack_from("<H", self.buf, 6 + n)[0] == crc16(body):
                            self.buf = self.buf[8 + n:]
                            return body[0], body[1], body[4:]
                        self.buf = self.buf[1:]
                        continue
            left = end - time.monotonic()
            if left <= 0 or not self._fill(left):
                return None

    def request(self, cmd, payload=b"", timeout=5.0, tries=1):
        seq = self.seq
        self.seq = (self.seq + 1) & 0xFF
        for _ in range(tries):
            self.send(packet(cmd, seq, payload))
            end = time.monotonic() + timeout
            while True:
                p = self.recv(max(0.0, end - time.monotonic()))
                if p is None:
                    break
                if p[0] == cmd | CMD_ANSWER and p[1] == seq:
                    return p[2]
        return None


def main():
    if len(sys.argv) < 2:
        print("usage: board_client.py VBOARD [SOAK]", file=sys.stderr)
        return 2
    soak = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    failures = 0

    def check(name, ok, why=""):
        nonlocal failures
        print("PASS %s" % name if ok else "FAIL %s: %s" % (name, why), flush=True)
        failures += 0 if ok else 1

    b = Board(sys.argv[1])
    rng = random.Random(1)
    try:
        a = b.request(CMD_INFO)
        ok = a is not None and len(a) == 37 and a[0] == ST_OK and a[1:5] == b"NCAB" and a[5] == 1
        check("info", ok, "answer %r" % (a[:8] if a else a))
        width, height, channels = struct.unpack_from("<HHB", a, 7) if ok else (0, 0, 0)
        check("info sizes", width >= 3 and height >= 3 and 4 <= channels <= 16,
              "%dx%d, %d channels" % (width, height, channels))

        a = b.request(0x7E)
        check("unknown command: BAD_CMD", a is not None and a[:1] == bytes([ST_BAD_CMD]), "answer %r" % a)
        a = b.request(CMD_INFO, b"\x00")
        check("INFO with a payload: BAD_LEN", a is not None and a[:1] == bytes([ST_BAD_LEN]), "answer %r" % a)
        a = b.request(CMD_SEED, struct.pack("<HH", width + 5, 0))
        check("SEED off the grid: BAD_ARG", a is not None and a[:1] == bytes([ST_BAD_ARG]), "answer %r" % a)
        a = b.request(CMD_STEP, struct.pack("<I", 1))
        check("STEP without a model: NO_MODEL", a is not None and a[:1] == bytes([ST_NO_MODEL]), "answer %r" % a)

        s0 = b.request(CMD_STATS)
        dropped0 = struct.unpack_from("<H", s0, 1 + 24)[0] if s0 and len(s0) == 29 else None
        check("stats", dropped0 is not None, "answer %r" % s0)
        # a corrupted request gets no answer; the next good one does
        bad = bytearray(packet(CMD_INFO, 0x77))
        bad[-1] ^= 0x01
        b.send(bytes(bad))
        check("corrupted request unanswered", b.recv(0.5) is None, "the board answered it")
        a = b.request(CMD_INFO)
        check("answer after a corrupted request", a is not None and a[:1] == bytes([ST_OK]), "none")
        # random garbage (with false syncs), then a request: answered (retried: a false
        # header may make the board wait for its payload until its gap timeout)
        junk = bytearray(rng.getrandbits(8) for _ in range(8192))
        for k in range(0, len(junk), 97):
            junk[k:k + 2] = SYNC
        b.send(bytes(junk))
        time.sleep(0.1)
        a = b.request(CMD_INFO, timeout=1.0, tries=5)
        check("answer after 8 KB of garbage", a is not None and a[1:5] == b"NCAB", "none")
        s1 = b.request(CMD_STATS)
        dropped1 = struct.unpack_from("<H", s1, 1 + 24)[0] if s1 and len(s1) == 29 else None
        check("dropped packets counted", dropped0 is not None and dropped1 is not None and
              dropped1 > dropped0, "%r -> %r" % (dropped0, dropped1))

        # soak: requests with garbage between some, every one answered at the first try
        t0 = time.monotonic()
        missing = 0
        for i in range(soak):
            if i % 7 == 3:
                # no SYNC0 here, so no false header swallows the next request
                b.send(bytes(rng.choice(range(0, SYNC0)) for _ in range(rng.randint(1, 64))))
            cmd = (CMD_INFO, CMD_STATS, CMD_INFO)[i % 3]
            a = b.request(cmd, timeout=3.0)
            if a is None or a[:1] != bytes([ST_OK]):
                missing += 1
                if missing >= 5:  # a wedged link: no need to wait out the rest
                    break
        dt = time.monotonic() - t0
        check("soak: %d requests answered (%.0f/s)" % (soak, soak / dt if dt else 0),
              missing == 0, "%d unanswered, stopped at request %d" % (missing, i + 1))
    except Exception as e:  # a crash of the client is a failure, not a skip
        check("client", False, repr(e))
    finally:
        b.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
