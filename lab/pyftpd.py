#!/usr/bin/python3
"""pyftpd.py - the lab's second FTP server implementation (pyftpdlib).

Run with Debian's /usr/bin/python3 (python3-pyftpdlib).  Anonymous login with
write access to ROOT, one passive port, and a bounded active-connect timeout.
With --permit-foreign it accepts a PORT naming any address (vsftpd rejects
such a PORT with 500; pyftpdlib by default with 501), --permit-privileged
one naming a port below 1024.  --user NAME:PASSWORD
adds a real (non-anonymous) user, --auth-failed-delay shortens pyftpdlib's
3 s pause before a 530, and --advertise-port makes 227/229 name a port
other than the one the server listens on (nothing listens there).
"""
import argparse
import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import ActiveDTP, FTPHandler
from pyftpdlib.servers import FTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", required=True)
    ap.add_argument("--port", type=int, default=21)
    ap.add_argument("--root", required=True)
    ap.add_argument("--passive-port", type=int, default=30000)
    ap.add_argument("--active-timeout", type=float, default=4.0,
                    help="seconds to wait for an active data connection before 425")
    ap.add_argument("--permit-foreign", action="store_true",
                    help="permit_foreign_addresses=True: accept PORT to any address")
    ap.add_argument("--permit-privileged", action="store_true",
                    help="permit_privileged_ports=True: accept PORT to a port below 1024")
    ap.add_argument("--masquerade", default=None, help="masquerade_address for 227")
    ap.add_argument("--user", default=None, metavar="NAME:PASSWORD",
                    help="also accept this user (home ROOT, read-only)")
    ap.add_argument("--auth-failed-delay", type=float, default=None,
                    help="seconds before a 530 (pyftpdlib's auth_failed_timeout, 3 s by default)")
    ap.add_argument("--advertise-port", type=int, default=None,
                    help="name this port in 227/229 instead of the one listened on")
    args = ap.parse_args()

    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s pyftpd %(message)s")

    class LabActiveDTP(ActiveDTP):
        timeout = args.active_timeout

    auth = DummyAuthorizer()
    auth.add_anonymous(args.root, perm="elradfmw")
    if args.user:
        name, _, password = args.user.partition(":")
        auth.add_user(name, password, args.root, perm="elr")

    class Handler(FTPHandler):
        def respond(self, resp, *a, **kw):
            # a server that advertises a passive port where nothing listens
            p = args.advertise_port
            if p is not None and resp.startswith("227 "):
                head = resp[: resp.index("(") + 1]
                h = resp[len(head):].split(",")[:4]
                resp = "%s%s,%d,%d)." % (head, ",".join(h), p // 256, p % 256)
            elif p is not None and resp.startswith("229 "):
                resp = "229 Entering extended passive mode (|||%d|)." % p
            return FTPHandler.respond(self, resp, *a, **kw)

    Handler.authorizer = auth
    Handler.active_dtp = LabActiveDTP
    Handler.permit_foreign_addresses = args.permit_foreign
    Handler.permit_privileged_ports = args.permit_privileged
    Handler.passive_ports = [args.passive_port]
    Handler.timeout = 30
    if args.auth_failed_delay is not None:
        Handler.auth_failed_timeout = args.auth_failed_delay
    if args.masquerade:
        Handler.masquerade_address = args.masquerade

    server = FTPServer((args.addr, args.port), Handler)
    server.max_cons = 16
    server.serve_forever()


if __name__ == "__main__":
    main()
