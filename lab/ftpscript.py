#!/usr/bin/python3
"""ftpscript.py - small raw-socket FTP clients (and one TCP listener) for the
lab's scenarios that curl and lftp cannot play.  Run with /usr/bin/python3.

  session  one FTP session, commands given in order on the command line.
           An argument is a command line sent as is, or a directive:
             @sleep S   pause S seconds (the connection stays idle)
             @data      open the data connection to the last 227/229's address
             @reply     read one more reply (a transfer's 226 after its 150)
             @send CMD  send CMD without waiting for its reply (the next
                        command follows at once, as a pipelining client
                        does; Nagle's algorithm is turned off for it)
           Before each command the script looks whether a reply is already
           waiting (one the server sent on its own, such as vsftpd's
           "421 Timeout."), and says so.  PASS is skipped after a 230 to USER.
           Exit 0 when every reply was below
           400 and the connection stayed up, 1 otherwise.
  logins   password guessing: one session per password (USER, PASS, QUIT),
           in order.  Exit 0 when one login succeeded (230), 1 otherwise.
  bounce   an FTP bounce port scan, as nmap's ftp-bounce script does it: log
           in, then for each port of the target: PORT target,port; after a
           200, LIST; 125/150 (then 226) means open, 425 closed.  Exit 0
           when the scan ran to the end.
  fxp      a server-to-server transfer (FXP) driven by one client: log in to
           both servers, PASV on the --pasv-server, PORT with the address of
           its 227 on the --port-server, STOR on the first, RETR on the
           second: the second server connects to the first and sends the
           file.  Exit 0 when both ended with 226.
  discard  a TCP listener (the bounce scan's target): accepts on each PORT of
           ADDR and reads until the peer closes.  Runs until killed.
"""
import argparse
import select
import socket
import sys
import threading
import time


def say(msg):
    print(msg, flush=True)


class Ctl:
    """A control connection with line-based reply reading."""

    def __init__(self, server, port, timeout):
        self.sock = socket.create_connection((server, port), timeout=timeout)
        self.f = self.sock.makefile("rb")
        self.timeout = timeout

    def waiting(self):
        r, _, _ = select.select([self.sock], [], [], 0)
        return bool(r)

    def reply(self):
        self.sock.settimeout(self.timeout)
        line = self.f.readline().decode("latin-1")
        if not line:
            raise EOFError("control connection closed by the server")
        code, text = line[:3], line
        if line[3:4] == "-":
            while True:
                line = self.f.readline().decode("latin-1")
                if not line:
                    raise EOFError("control connection closed by the server")
                text += line
                if line[:3] == code and line[3:4] == " ":
                    break
        say("<-- " + text.rstrip())
        return int(code), text

    def send(self, c):
        say("--> " + c)
        self.sock.sendall((c + "\r\n").encode())

    def cmd(self, c):
        self.send(c)
        return self.reply()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def pasv_addr(code, text, server):
    if code == 227:
        nums = text[text.index("(") + 1: text.index(")")].split(",")
        return ".".join(nums[:4]), int(nums[4]) * 256 + int(nums[5])
    if code == 229:
        return server, int(text[text.index("(") + 1: text.index(")")].strip("|"))
    return None


def cmd_session(a):
    worst = 0
    data = []
    last = None
    try:
        ctl = Ctl(a.server, a.port, a.timeout)
        code, _ = ctl.reply()
        worst = max(worst, code)
        for item in a.items:
            if item.startswith("@sleep"):
                say("... idle %ss" % item.split()[1])
                time.sleep(float(item.split()[1]))
                continue
            if item == "@data":
                if not last:
                    say("@data: no 227/229 seen")
                    return 1
                say("... data connection to %s:%d" % last)
                data.append(socket.create_connection(last, timeout=a.timeout))
                say("... data connection up")
                continue
            if item == "@reply":
                code, text = ctl.reply()
                worst = max(worst, code)
                continue
            if item.startswith("@send "):
                ctl.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                ctl.send(item[len("@send "):])
                continue
            if item.startswith("PASS ") and code == 230:
                continue  # USER was enough (vsftpd's no_anon_password), as curl and lftp do
            if ctl.waiting():
                say("... a reply is already waiting before %r is sent" % item)
            code, text = ctl.cmd(item)
            worst = max(worst, code)
            last = pasv_addr(code, text, a.server) or last
        ctl.close()
    except (OSError, EOFError, ValueError) as e:
        say("error: %s" % e)
        return 1
    finally:
        for d in data:
            d.close()
    return 0 if worst < 400 else 1


def cmd_logins(a):
    ok = False
    for i, pw in enumerate(a.passwords.split(","), 1):
        say("=== attempt %d: %s / %s" % (i, a.user, pw))
        try:
            ctl = Ctl(a.server, a.port, a.timeout)
            ctl.reply()
            code, _ = ctl.cmd("USER " + a.user)
            if code == 331:
                code, _ = ctl.cmd("PASS " + pw)
            if code == 230:
                ok = True
            try:
                ctl.cmd("QUIT")
            except (OSError, EOFError):
                pass
            ctl.close()
        except (OSError, EOFError) as e:
            say("error: %s" % e)
        if ok:
            break
        time.sleep(a.pause)
    return 0 if ok else 1


def port_range(s):
    out = []
    for part in s.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def cmd_bounce(a):
    try:
        ctl = Ctl(a.server, a.port, a.timeout)
        ctl.reply()
        code, _ = ctl.cmd("USER " + a.user)
        if code == 331:
            code, _ = ctl.cmd("PASS " + a.password)
        if code != 230:
            return 1
        opened = []
        h = a.target.replace(".", ",")
        for p in port_range(a.ports):
            code, _ = ctl.cmd("PORT %s,%d,%d" % (h, p // 256, p % 256))
            if code != 200:
                say("%s:%d closed (PORT %d)" % (a.target, p, code))
                continue
            code, _ = ctl.cmd("LIST")
            if code in (125, 150):
                code, _ = ctl.reply()
                opened.append(p)
                say("%s:%d open" % (a.target, p))
            else:
                say("%s:%d closed (LIST %d)" % (a.target, p, code))
        say("open ports: %s" % (" ".join(map(str, opened)) or "none"))
        try:
            ctl.cmd("QUIT")
        except (OSError, EOFError):
            pass
        ctl.close()
        return 0
    except (OSError, EOFError) as e:
        say("error: %s" % e)
        return 1


def login(ctl, user, password):
    ctl.reply()
    code, _ = ctl.cmd("USER " + user)
    if code == 331:
        code, _ = ctl.cmd("PASS " + password)
    if code != 230:
        raise EOFError("login refused (%d)" % code)
    ctl.cmd("TYPE I")


def cmd_fxp(a):
    dst = src = None
    try:
        dst = Ctl(a.pasv_server, 21, a.timeout)   # listens (PASV), receives
        login(dst, a.user, a.password)
        src = Ctl(a.port_server, 21, a.timeout)   # connects (PORT), sends
        login(src, a.user, a.password)
        code, text = dst.cmd("PASV")
        if code != 227:
            return 1
        h, p = pasv_addr(code, text, a.pasv_server)
        code, _ = src.cmd("PORT %s,%d,%d" % (h.replace(".", ","), p // 256, p % 256))
        if code != 200:
            return 1
        dst.send("STOR " + a.store)     # its 150 may wait for the connection
        code, _ = src.cmd("RETR " + a.file)
        if code not in (125, 150):
            return 1
        finals = []
        for c in (dst, dst, src):       # dst: 125/150 then 226; src: 226
            code, _ = c.reply()
            if c is dst and code in (125, 150):
                continue
            finals.append(code)
        for c in (src, dst):
            try:
                c.cmd("QUIT")
            except (OSError, EOFError):
                pass
        return 0 if finals == [226, 226] else 1
    except (OSError, EOFError, ValueError) as e:
        say("error: %s" % e)
        return 1
    finally:
        for c in (src, dst):
            if c:
                c.close()


def cmd_discard(a):
    def serve(ls):
        while True:
            c, _ = ls.accept()
            threading.Thread(target=drain, args=(c,), daemon=True).start()

    def drain(c):
        try:
            while c.recv(65536):
                pass
        except OSError:
            pass
        c.close()

    threads = []
    for p in port_range(a.ports):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((a.addr, p))
        ls.listen(8)
        t = threading.Thread(target=serve, args=(ls,), daemon=True)
        t.start()
        threads.append(t)
    say("listening on %s ports %s" % (a.addr, a.ports))
    for t in threads:
        t.join()
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="what", required=True)

    def common(p):
        p.add_argument("--server", required=True)
        p.add_argument("--port", type=int, default=21)
        p.add_argument("--timeout", type=float, default=5.0, help="bound of each connect and reply (s)")

    p = sub.add_parser("session")
    common(p)
    p.add_argument("items", nargs="+")
    p.set_defaults(fn=cmd_session)

    p = sub.add_parser("logins")
    common(p)
    p.add_argument("--user", required=True)
    p.add_argument("--passwords", required=True, help="comma-separated, tried in order")
    p.add_argument("--pause", type=float, default=0.0, help="seconds between attempts")
    p.set_defaults(fn=cmd_logins)

    p = sub.add_parser("bounce")
    common(p)
    p.add_argument("--user", default="anonymous")
    p.add_argument("--password", default="lab@ftpsl.invalid")
    p.add_argument("--target", required=True)
    p.add_argument("--ports", required=True, help="e.g. 8000-8019 or 22,80,8000-8010")
    p.set_defaults(fn=cmd_bounce)

    p = sub.add_parser("fxp")
    p.add_argument("--pasv-server", required=True)
    p.add_argument("--port-server", required=True)
    p.add_argument("--user", default="anonymous")
    p.add_argument("--password", default="lab@ftpsl.invalid")
    p.add_argument("--file", required=True, help="RETR on the port server")
    p.add_argument("--store", required=True, help="STOR on the pasv server")
    p.add_argument("--timeout", type=float, default=5.0)
    p.set_defaults(fn=cmd_fxp)

    p = sub.add_parser("discard")
    p.add_argument("--addr", required=True)
    p.add_argument("--ports", required=True)
    p.set_defaults(fn=cmd_discard)

    a = ap.parse_args()
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
