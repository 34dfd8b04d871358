#!/usr/bin/python3
"""splitport.py - a minimal active-mode FTP client that writes its PORT
command in two TCP segments: the first SPLIT bytes, a pause, then the rest.

TCP_NODELAY is set so each write leaves at once as its own segment, and the
pause is longer than a segment's round trip, so the two are really separate
on the wire.  Used to see what the kernel's FTP helper (nf_conntrack_ftp /
nf_nat_ftp) does with a command it cannot see whole.

Exit status: 0 when the file arrived and the server said 226, 1 otherwise.
"""
import argparse
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--port", type=int, default=21)
    ap.add_argument("--local", required=True, help="client address to put in PORT")
    ap.add_argument("--data-port", type=int, required=True)
    ap.add_argument("--split", type=int, default=2, help="bytes of PORT in the first segment")
    ap.add_argument("--pause", type=float, default=1.0)
    ap.add_argument("--file", default="small.bin")
    ap.add_argument("--timeout", type=float, default=8.0)
    args = ap.parse_args()
    deadline = time.monotonic() + args.timeout

    def say(msg):
        print(msg, flush=True)

    ctl = socket.create_connection((args.server, args.port), timeout=3)
    ctl.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = ctl.makefile("rb")

    def reply():
        ctl.settimeout(max(0.1, deadline - time.monotonic()))
        line = f.readline().decode("latin-1")
        if not line:
            raise EOFError("control connection closed")
        code = line[:3]
        text = line
        if line[3:4] == "-":
            while True:
                line = f.readline().decode("latin-1")
                if not line:
                    raise EOFError("control connection closed")
                text += line
                if line[:3] == code and line[3:4] == " ":
                    break
        say("<-- " + text.rstrip())
        return int(code)

    def cmd(c):
        say("--> " + c)
        ctl.sendall((c + "\r\n").encode())
        return reply()

    try:
        reply()
        if cmd("USER anonymous") == 331:
            cmd("PASS lab@ftpsl.invalid")
        cmd("TYPE I")
        lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lst.bind((args.local, args.data_port))
        lst.listen(1)
        h = args.local.replace(".", ",")
        port_cmd = "PORT %s,%d,%d\r\n" % (h, args.data_port >> 8, args.data_port & 255)
        first, rest = port_cmd[: args.split], port_cmd[args.split:]
        say("--> %r (pause %.1fs) %r" % (first, args.pause, rest))
        ctl.sendall(first.encode())
        time.sleep(args.pause)
        ctl.sendall(rest.encode())
        code = reply()
        if code != 200:
            say("PORT refused")
            return 1
        code = cmd("RETR " + args.file)
        if code not in (125, 150):
            return 1
        lst.settimeout(max(0.1, deadline - time.monotonic()))
        data, peer = lst.accept()
        n = 0
        while True:
            b = data.recv(65536)
            if not b:
                break
            n += len(b)
        data.close()
        say("data connection from %s:%d, %d bytes" % (peer[0], peer[1], n))
        code = reply()
        try:
            cmd("QUIT")
        except (OSError, EOFError):
            pass
        return 0 if code == 226 and n > 0 else 1
    except (OSError, EOFError) as e:
        say("error: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
