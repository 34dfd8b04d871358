#!/usr/bin/python3
"""pyftpd.py - the lab's second FTP server implementation (pyftpdlib).

Run with Debian's /usr/bin/python3 (python3-pyftpdlib).  Anonymous login with
write access to ROOT, one passive port, and a bounded active-connect timeout.
With --permit-foreign it accepts a PORT naming any address (vsftpd rejects
such a PORT with 500; pyftpdlib by default with 501).
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
    ap.add_argument("--masquerade", default=None, help="masquerade_address for 227")
    args = ap.parse_args()

    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s pyftpd %(message)s")

    class LabActiveDTP(ActiveDTP):
        timeout = args.active_timeout

    auth = DummyAuthorizer()
    auth.add_anonymous(args.root, perm="elradfmw")

    class Handler(FTPHandler):
        pass

    Handler.authorizer = auth
    Handler.active_dtp = LabActiveDTP
    Handler.permit_foreign_addresses = args.permit_foreign
    Handler.passive_ports = [args.passive_port]
    Handler.timeout = 30
    if args.masquerade:
        Handler.masquerade_address = args.masquerade

    server = FTPServer((args.addr, args.port), Handler)
    server.max_cons = 16
    server.serve_forever()


if __name__ == "__main__":
    main()
