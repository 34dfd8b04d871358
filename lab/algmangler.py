#!/usr/bin/python3
"""algmangler.py - a broken FTP "ALG" for the lab, in userspace over NFQUEUE.

Python 3 stdlib only: it speaks nfnetlink_queue over a raw netlink socket
(Debian has no python3-netfilterqueue).  An nftables rule queues the control
connection's segments of both directions to queue --queue; the mangler
rewrites only a segment whose payload starts with the line (PORT from the
client, or 227 from the server), as the kernel helper and most devices do,
and answers every packet with NF_ACCEPT (with the new packet when changed,
IPv4 and TCP checksums recomputed).

Modes (what real devices have been seen to do):
  correct      PORT rewritten to --addr (the NAT's outside address), same
               port; later sequence numbers (this direction) and
               acknowledgements (the other) shifted by the length change,
               as nf_nat_ftp does through the conntrack seqadj extension.
  wrong-addr   PORT rewritten to a wrong --addr (another address of the NAT's
               pool, or the router's inside address): a helper that takes the
               address of the wrong interface or pool member.
  wrong-port   the address right, the port --port-delta off: a helper that
               wrote one port and opened its pinhole/expectation on another.
  no-seq-fix   PORT rewritten right, but the length change is not carried
               into later sequence and acknowledgement numbers: an ALG
               without TCP sequence tracking (the classic broken SIP/FTP
               ALG of small routers).
  wrong-227    on the server's router: the 227's address rewritten to
               --addr (seq/ack fixed): a port-forwarding helper that puts
               its inside address where the public one belongs.
Each rewrite is logged, one line, to --log.
"""
import argparse
import re
import socket
import struct
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
MSG_PACKET, MSG_VERDICT, MSG_CONFIG = 0, 1, 2
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NFQA_PACKET_HDR, NFQA_VERDICT_HDR, NFQA_PAYLOAD = 1, 2, 10
NFQA_CFG_CMD, NFQA_CFG_PARAMS = 1, 2
CMD_BIND = 1
COPY_PACKET = 2
NF_ACCEPT = 1
PORT_RE = re.compile(rb"^(PORT )(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)(\r\n)", re.I)
R227_RE = re.compile(rb"^(227 [^(\r\n]*\()(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)(\))")


def attr(typ, data):
    a = struct.pack("=HH", 4 + len(data), typ) + data
    return a + b"\0" * (-len(a) % 4)


def nlmsg(msgtype, flags, queue, attrs, seq=0):
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + b"".join(attrs)
    return struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | msgtype, flags, seq, 0) + body


def attrs_of(buf):
    out, i = {}, 0
    while i + 4 <= len(buf):
        ln, typ = struct.unpack_from("=HH", buf, i)
        if ln < 4:
            break
        out[typ & 0x7FFF] = buf[i + 4:i + ln]
        i += (ln + 3) & ~3
    return out


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def before(a, b):  # a < b in sequence space
    return ((a - b) & 0xFFFFFFFF) >= 0x80000000


class Mangler:
    def __init__(self, a):
        self.a = a
        self.edits = {}  # flow -> [(original seq, original length, length change)]
        self.log = open(a.log, "a", buffering=1)

    def delta_before(self, flow, seq):
        """The sum of the length changes of rewrites that start before seq."""
        return sum(d for s, _, d in self.edits.get(flow, ()) if before(s, seq))

    def ack_delta(self, flow, ack):
        """How far the other side's ack (in the rewritten numbering) is ahead of the original."""
        total = 0
        for s, ln, d in self.edits.get(flow, ()):
            if before(ack, (s + ln + total + d) & 0xFFFFFFFF):
                break
            total += d
        return total

    def rewrite(self, pkt):
        ihl = (pkt[0] & 15) * 4
        if pkt[0] >> 4 != 4 or pkt[9] != 6:
            return None
        src, dst = pkt[12:16], pkt[16:20]
        th = pkt[ihl:]
        sport, dport, seq, ack = struct.unpack_from("!HHII", th)
        doff = (th[12] >> 4) * 4
        payload = th[doff:]
        # this direction carries the lines to rewrite (the client's PORT, or
        # the server's 227); the flow is named by the end that receives them
        # and the sender's port: the router translates the sender's address,
        # before the queue on one side and after it on the other
        mine = (dport == 21) == (self.a.mode != "wrong-227")
        flow = (dst, dport, sport) if mine else (src, sport, dport)
        new_payload, line = payload, None
        if mine and payload:
            line = self.mangle_line(payload)
            if line is not None:
                new_payload, old = line
                edits = [e for e in self.edits.get(flow, []) if e[0] != seq]
                if self.a.mode != "no-seq-fix":
                    edits.append((seq, len(payload), len(new_payload) - len(payload)))
                    first = edits[0][0]
                    edits.sort(key=lambda e: (e[0] - first) & 0xFFFFFFFF)
                    self.edits[flow] = edits
                self.log.write("%.6f %s %s:%d>%s:%d seq %d: %r -> %r\n" % (
                    time.time(), self.a.mode, socket.inet_ntoa(src), sport, socket.inet_ntoa(dst), dport,
                    seq, old, new_payload))
        if mine:
            nseq, nack = (seq + self.delta_before(flow, seq)) & 0xFFFFFFFF, ack
        else:
            nseq, nack = seq, (ack - self.ack_delta(flow, ack)) & 0xFFFFFFFF
        if line is None and (nseq, nack) == (seq, ack):
            return None
        th = bytearray(th[:doff]) + new_payload
        struct.pack_into("!II", th, 4, nseq, nack)
        th[16:18] = b"\0\0"
        th[16:18] = struct.pack("!H", csum(src + dst + struct.pack("!BBH", 0, 6, len(th)) + bytes(th)))
        ip = bytearray(pkt[:ihl])
        struct.pack_into("!H", ip, 2, ihl + len(th))
        ip[10:12] = b"\0\0"
        ip[10:12] = struct.pack("!H", csum(bytes(ip)))
        return bytes(ip) + bytes(th)

    def mangle_line(self, payload):
        """(new payload, old line) when the segment starts with a line to rewrite."""
        a = self.a
        m = (R227_RE if a.mode == "wrong-227" else PORT_RE).match(payload)
        if not m:
            return None
        port = int(m.group(6)) * 256 + int(m.group(7))
        addr = a.addr
        if a.mode == "wrong-port":
            port += a.port_delta
        nums = addr.split(".") + [str(port >> 8), str(port & 255)]
        new = m.group(1) + ",".join(nums).encode() + m.group(8)
        return new + payload[m.end():], m.group(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--queue", type=int, required=True)
    ap.add_argument("--mode", required=True, choices=["correct", "wrong-addr", "wrong-port", "no-seq-fix", "wrong-227"])
    ap.add_argument("--addr", required=True, help="the address to write (the NAT's outside address, or a wrong one)")
    ap.add_argument("--port-delta", type=int, default=50)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    m = Mangler(a)
    sk = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sk.bind((0, 0))
    sk.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sk.send(nlmsg(MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, a.queue, [attr(NFQA_CFG_CMD, struct.pack("!BxH", CMD_BIND, 0))], 1))
    sk.send(nlmsg(MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, a.queue, [attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0xFFFF, COPY_PACKET))], 2))
    m.log.write("%.6f bound queue %d, mode %s\n" % (time.time(), a.queue, a.mode))
    while True:
        buf = sk.recv(1 << 17)
        i = 0
        while i + 16 <= len(buf):
            ln, typ = struct.unpack_from("=IH", buf, i)
            if ln < 16:
                break
            msg = buf[i:i + ln]
            i += (ln + 3) & ~3
            if typ == 2:  # NLMSG_ERROR: an ack (error 0) or a refusal
                err = struct.unpack_from("=i", msg, 16)[0]
                if err:
                    m.log.write("netlink error %d\n" % err)
                    raise SystemExit("algmangler: netlink error %d" % err)
                continue
            if typ != (NFNL_SUBSYS_QUEUE << 8) | MSG_PACKET:
                continue
            at = attrs_of(msg[20:])
            pid = struct.unpack("!I", at[NFQA_PACKET_HDR][:4])[0]
            verdict = [attr(NFQA_VERDICT_HDR, struct.pack("!II", NF_ACCEPT, pid))]
            try:
                new = m.rewrite(at.get(NFQA_PAYLOAD, b""))
            except (struct.error, ValueError, IndexError, KeyError) as e:
                m.log.write("error %r\n" % e)
                new = None
            if new is not None:
                verdict.append(attr(NFQA_PAYLOAD, new))
            queue = socket.ntohs(struct.unpack_from("=H", msg, 18)[0])
            sk.send(nlmsg(MSG_VERDICT, NLM_F_REQUEST, queue, verdict))


if __name__ == "__main__":
    main()
