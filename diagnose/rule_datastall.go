package diagnose

import (
	"fmt"
	"strings"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// minStallResends is how often the sender must resend one segment, with no
// acknowledgement passing it, before the connection counts as stalled.
const minStallResends = 2

// fullSized is the payload from which a lost segment is a full-sized one
// (an Ethernet path's MSS is 1460, less TCP options), the kind a path MTU
// black hole loses.
const fullSized = 1200

// dataSender says which side sends the transfer's data ("server" for
// downloads and listings, "client" for uploads) and the index of its
// direction in the data connection's Delivery.
func dataSender(t *TransferFacts) (who string, dir int, ok bool) {
	dc := t.DC
	if dc == nil {
		return "", 0, false
	}
	switch strings.ToUpper(t.T.Command) {
	case "RETR", "LIST", "NLST", "MLSD":
		who = "server"
	case "STOR", "STOU", "APPE":
		who = "client"
	default:
		return "", 0, false
	}
	if dc.Initiator == who {
		return who, 0, true
	}
	return who, 1, true
}

// ruleDataStalled: the data connection was set up, then stopped making
// progress, and the transfer did not complete. Seen on the sender's side
// of the loss, the sender resends one segment again and again and the
// receiver never acknowledges it; on the receiver's side, the sender's
// sequence numbers (in a segment that did arrive) show bytes that never
// came. The sizes say what kind of loss: full-sized segments lost while
// small ones pass is a path MTU black hole or a box dropping large
// packets.
func ruleDataStalled(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	if t.State != analyze.Established || t.T.Final.Code == 226 || t.T.Final.Code == 250 {
		return nil
	}
	who, dir, ok := dataSender(t)
	if !ok {
		return nil
	}
	dv := t.DC.Delivery[dir]
	other := "client"
	if who == "client" {
		other = "server"
	}
	var f *Finding
	switch {
	case dv.Resends >= minStallResends && dv.Acked <= dv.ResentOffset:
		f = stallSeenBySender(s, t, dv, who, other)
	case dv.Unseen > 0 && dv.Resends == 0 && dv.Acked < dv.UnseenEnd:
		// (acknowledged bytes the capture missed are no stall)
		f = stallSeenByReceiver(s, t, dv, who, other)
	default:
		return nil
	}
	return f
}

// ended says how the transfer ended, as "; ...", from its final reply.
func ended(t *TransferFacts) string {
	if t.T.Final.Code != 0 {
		return fmt.Sprintf("; the server answered \"%s\" (frame %d)", t.T.Final, t.T.Final.At.Frame)
	}
	return "; no final reply came"
}

// fragNeededWords says whether an ICMP "fragmentation needed" for the
// connection crossed this point (IPv4 only: the ICMPv6 "packet too big" is
// not read).
func fragNeededWords(dc *analyze.DataConn, dv analyze.Delivery) (string, bool) {
	if !dc.Src.Addr().Is4() {
		return "", false
	}
	if dc.FragNeeded.Valid() {
		w := fmt.Sprintf("A router sent ICMP \"fragmentation needed\" for this connection (frame %d, TTL %d): it could not forward a segment that large", dc.FragNeeded.Frame, dc.FragNeededTTL)
		if dv.Resends > 0 && dv.ResentLast.Time.After(dc.FragNeeded.Time) {
			w += fmt.Sprintf(", and the sender went on resending %d-byte segments after it", dv.ResentLen)
		}
		return w, true
	}
	return "No ICMP \"fragmentation needed\" for this connection crossed this point", false
}

// blackHole is what loses full-sized segments while small packets pass.
func blackHole(sender string) string {
	return fmt.Sprintf("a path MTU black hole (a link with a smaller MTU whose router's ICMP \"fragmentation needed\" never reaches the %s, or is dropped by a firewall), or a box dropping large packets", sender)
}

// lossCause is what the size of the segment lost supports: a full-sized
// one (a path MTU black hole, or a box dropping large packets), or a small
// one (a box dropping the connection mid-stream).
func lossCause(size int, sender string) string {
	if size >= fullSized {
		return fmt.Sprintf("a full-sized segment (%d bytes of payload) lost again and again on a connection whose handshake passed is what %s does", size, blackHole(sender))
	}
	return fmt.Sprintf("a %d-byte segment lost again and again is not a question of size: a box dropping the connection mid-stream (a firewall or NAT that lost its state, an IPS)", size)
}

// stallAdvice is the fix for a stalled data connection, by the size lost
// (0: not known here, read as full-sized).
func stallAdvice(size int, sender, receiver, where string) string {
	if size == 0 || size >= fullSized {
		return fmt.Sprintf("Find the link with the smaller MTU %s: from the %s's side, ping -M do -s 1472 the %s (1500-byte packets that may not be fragmented) and lower the size until it passes. "+
			"Then let ICMP \"fragmentation needed\" (IPv4 type 3 code 4; IPv6 \"packet too big\") through every firewall on the way, or clamp the TCP MSS on the router in front of that link "+
			"(nftables: tcp flags syn tcp option maxseg size set rt mtu), or turn on packetization-layer PMTU discovery on the %s (Linux: net.ipv4.tcp_mtu_probing=1).",
			where, sender, receiver, sender)
	}
	return fmt.Sprintf("Look at the boxes %s for one that stops forwarding a connection mid-stream (a state timeout, an IPS rule): its log or counters at the time of the stall.", where)
}

// stallSeenBySender: the sender kept resending one segment.
func stallSeenBySender(s *SessionFacts, t *TransferFacts, dv analyze.Delivery, who, other string) *Finding {
	dc := t.DC
	f := &Finding{Code: DataStalled, Severity: Error, Session: s.S, Transfers: []*analyze.Transfer{t.T}}
	f.Evidence = t.Evidence()
	if dv.ResentOriginal.Valid() {
		f.Evidence = append(f.Evidence, Evidence{At: dv.ResentOriginal, What: fmt.Sprintf("the segment at byte %d (%d bytes), first sent", dv.ResentOffset, dv.ResentLen)})
	}
	f.Evidence = append(f.Evidence, Evidence{At: dv.ResentFirst, What: "its first resend"}, Evidence{At: dv.ResentLast, What: fmt.Sprintf("its last resend (%s in all)", times(dv.Resends))})
	sortEvidence(f.Evidence)
	sent := dc.BytesFromAcceptor
	if t.DC.Initiator == who {
		sent = dc.BytesFromInitiator
	}
	first := ""
	if dv.ResentOriginal.Valid() {
		first = fmt.Sprintf(", first sent in frame %d", dv.ResentOriginal.Frame)
	}
	got := fmt.Sprintf("no %s segment got through on this connection (it sent segments of up to %d bytes)", who, dv.LargestSent)
	if dv.LargestAcked > 0 {
		got = fmt.Sprintf("the largest %s segment the %s acknowledged on this connection was %d bytes, the largest sent %d", who, other, dv.LargestAcked, dv.LargestSent)
	}
	progress := "at the handshake"
	if dv.Acked > 0 {
		progress = fmt.Sprintf("at frame %d", dv.AckedAt.Frame)
	}
	if dv.AckedAt.Valid() {
		progress += fmt.Sprintf(", %s before the last resend", dv.ResentLast.Time.Sub(dv.AckedAt.Time).Round(time.Millisecond))
	}
	icmp, _ := fragNeededWords(dc, dv)
	if icmp != "" {
		icmp = ". " + icmp
	}
	f.Summary = fmt.Sprintf("%s: the data connection stalled: the %s acknowledged %d of the %d bytes the %s sent (last progress %s); the %s resent its segment at byte %d (%d bytes%s) %s (frames %d–%d) and the %s never acknowledged it; %s%s%s",
		t.What, other, dv.Acked, sent, who, progress, who, dv.ResentOffset, dv.ResentLen, first, times(dv.Resends), dv.ResentFirst.Frame, dv.ResentLast.Frame, other, got, ended(t), icmp) +
		fmt.Sprintf(". The segment crossed this point each time: it was lost between this point and the %s; %s", other, lossCause(dv.ResentLen, who))
	f.Advice = stallAdvice(dv.ResentLen, who, other, fmt.Sprintf("between this point and the %s", other))
	return f
}

// stallSeenByReceiver: the sender's sequence numbers show bytes that never
// crossed this point.
func stallSeenByReceiver(s *SessionFacts, t *TransferFacts, dv analyze.Delivery, who, other string) *Finding {
	dc := t.DC
	f := &Finding{Code: DataStalled, Severity: Error, Session: s.S, Transfers: []*analyze.Transfer{t.T}}
	f.Evidence = append(t.Evidence(), Evidence{At: dv.UnseenAt, What: fmt.Sprintf("a %s segment whose sequence number is %d bytes past the last byte seen", who, dv.Unseen)})
	sortEvidence(f.Evidence)
	got := fmt.Sprintf("none of its data crossed this point (%d bytes)", dv.Acked)
	if dv.LargestSent > 0 {
		got = fmt.Sprintf("%d bytes of its data crossed this point, in segments of up to %d bytes", dv.Acked, dv.LargestSent)
	}
	icmp, _ := fragNeededWords(dc, dv)
	if icmp != "" {
		icmp = ". " + icmp
	}
	f.Summary = fmt.Sprintf("%s: the data connection stalled: %s; the %s's segment in frame %d, which did arrive (a small one, without data), carries a sequence number %d bytes further: the %s sent %d bytes that never came here%s%s",
		t.What, got, who, dv.UnseenAt.Frame, dv.Unseen, who, dv.Unseen, ended(t), icmp) +
		fmt.Sprintf(". They were lost between the %s and this point, while this small segment passed; this point cannot see their size: full-sized segments lost while small packets pass are %s", who, blackHole(who))
	f.Advice = "A capture on the " + who + "'s side shows the segments it resent and their size. " + stallAdvice(0, who, other, fmt.Sprintf("between the %s and this point", who))
	return f
}
