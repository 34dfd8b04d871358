package diagnose

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// natHelperAdvice is what fixes an active-mode PORT a client's NAT did not
// rewrite.
const natHelperAdvice = "Use passive mode (curl: leave out -P/--ftp-port; lftp: set ftp:passive-mode on), or attach the kernel FTP helper on the client's NAT router " +
	"(nftables: ct helper ftp-standard { type \"ftp\" protocol tcp; } and a prerouting rule: tcp dport 21 ct helper set \"ftp-standard\"; " +
	"modprobe nf_nat_ftp). No helper can do this for FTPS."

// ruleMissedSplit: a PORT/EPRT written in more than one TCP segment,
// which a NAT's FTP helper drops (the Linux helper reads a command only at
// a segment's start and drops a segment holding part of one). An error
// when the server never answered and the command's bytes were resent and
// never acknowledged (the session stalled); a warning when a later,
// merged retransmission got through and was answered (the helper dropped
// the first part, costing a retransmission timeout).
func ruleMissedSplit(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	n := t.N
	if n.Mode.IsPassive() || !n.SplitAt.Valid() {
		return nil
	}
	ss := s.S
	// Decided before the finding is made: most split commands were
	// answered without a resend, and need none.
	st, stalled := analyze.Stall{}, false
	switch {
	case n.Reply.Code == 0:
		if st, stalled = stallAt(ss, n.CommandSeq); !stalled && n.CommandResent == 0 {
			return nil
		}
	case n.CommandResent == 0:
		return nil
	}
	f := &Finding{Code: ALGMissedSplit, Session: ss, Transfers: []*analyze.Transfer{t.T},
		Evidence: append([]Evidence{{At: n.SplitAt, What: "the rest of the " + n.Command + " line"}}, t.Evidence()...),
		Advice: "Use passive mode (no command to rewrite), or a client that writes each command in one segment; the Linux helper (nf_conntrack_ftp) drops a segment that holds " +
			"only part of a PORT, and the helper on this path did."}
	line := commandLine(n.Command, n.Arg)
	if n.Reply.Code == 0 {
		f.Severity = Error
		f.Summary = fmt.Sprintf("the client wrote \"%s\" in more than one TCP segment (frames %d to %d) and the server never answered it", line, n.CommandAt.Frame, n.SplitAt.Frame)
		if stalled {
			f.Summary += fmt.Sprintf(": the server never acknowledged the line's first bytes, which the client retransmitted %s (last at frame %d)", times(st.Retransmissions), st.Last.Frame)
			f.Evidence = append(f.Evidence, Evidence{At: st.Last, What: "the last retransmission, never acknowledged"})
		}
		f.Summary += ". A NAT's FTP helper between this point and the server dropped the partial command, and the session stalled"
		return f
	}
	f.Severity = Warning
	f.Summary = fmt.Sprintf("the client wrote \"%s\" in more than one TCP segment (frames %d to %d); part of it was resent %s (last at frame %d) before the server answered \"%s\", "+
		"%s after the first segment. That is how a NAT's FTP helper dropping the partial command shows here, until a retransmission carrying the whole line gets through "+
		"(plain loss of a segment would look the same from this point; a capture outside the NAT tells)",
		line, n.CommandAt.Frame, n.SplitAt.Frame, times(n.CommandResent), n.LastResend.Frame, n.Reply, n.Reply.At.Time.Sub(n.CommandAt.Time).Round(time.Millisecond))
	f.Evidence = append(f.Evidence, Evidence{At: n.LastResend, What: "the command resent"})
	return f
}

// stallAt returns the client's stall that covers seq, if any.
func stallAt(ss *analyze.Session, seq uint32) (analyze.Stall, bool) {
	for _, st := range ss.Stalls {
		if st.FromClient && int32(seq-st.Seq) >= 0 && int32(st.Seq+uint32(st.Bytes)-seq) > 0 || st.FromClient && st.Seq == seq {
			return st, true
		}
	}
	return analyze.Stall{}, false
}

// ruleActiveNATNoALG: a PORT/EPRT carries a private address that cannot
// work, and nothing shows it was rewritten.
//
// Seen past the client's NAT (the client appears here with another
// address), the private address left the NAT unrewritten. Seen inside
// (the PORT names the client's own private address, the server is
// public), the server refused it, or no connection came back: a server
// that does not check the address accepts any PORT (vsftpd
// port_promiscuous, many embedded servers), so its 200 does not show a
// rewrite. Inside, the point cannot see the PORT after the NAT: the finding
// says so.
func ruleActiveNATNoALG(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	n := t.N
	if n.Mode.IsPassive() || n.ParseError != "" || !n.Address.IsValid() {
		return nil
	}
	ss := s.S
	client, server, adv := ss.Client.Addr(), ss.Server.Addr(), n.Address
	advClass := analyze.ClassOf(adv.Addr())
	refused := n.Reply.Code >= 400
	noneBack := noConnectionBack(t)
	seenPast := adv.Addr() != client && !advClass.Routable() && adv.Addr().Is4() == client.Is4() &&
		s.Side != analyze.SideSameLAN && s.Side != analyze.SideClient
	inside := adv.Addr() == client && !advClass.Routable() && analyze.ClassOf(server).Routable()
	switch {
	case seenPast && (refused || noneBack):
	case inside && (refused || t.DC == nil && t.T.Command != "" && noneBack):
	default:
		return nil
	}
	f := &Finding{Code: ActiveNATNoALG, Severity: Error, Session: ss, Transfers: []*analyze.Transfer{t.T}, Evidence: t.Evidence(), Advice: natHelperAdvice}
	defer withHelperPort(f, ss.Server.Port(), n.Command, "")
	if seenPast {
		f.Summary = fmt.Sprintf("the client at %s is behind NAT and advertised its %s %s in %s; nothing rewrote it, so ", client, addrKind(adv.Addr()), adv.Addr(), n.Command)
		if isShared(adv.Addr()) {
			// the address class on each side names the NAT that failed
			f.Summary = fmt.Sprintf("the client at %s advertised %s in %s, a %s: the NAT that translates the shared space to %s (a carrier-grade NAT, usually the provider's) did not rewrite it. "+
				"A home router in front of the client, if there is one, did its part: a private address would show that it had not. So ", client, adv.Addr(), n.Command, addrKind(adv.Addr()), client)
			f.Advice = carrierNATAdvice("the NAT that did not rewrite the PORT")
		}
		switch {
		case refused && n.Reply.Code >= 500:
			f.Summary += fmt.Sprintf("the server refused it (%s)", replyWhat(n.Reply))
		case refused:
			f.Summary += fmt.Sprintf("the server could not connect to it (%s)", replyWhat(n.Reply))
		case t.DC != nil:
			f.Summary += fmt.Sprintf("the server's connection to it %s", stateWords(t.State))
		default:
			f.Summary += "the server's connection to it never crossed this point"
		}
		return f
	}
	f.Summary = fmt.Sprintf("the client %s (a %s) advertised itself as %s in %s to the public server %s, ", client, addrKind(client), adv, n.Command, server)
	if isShared(client) {
		f.Summary = fmt.Sprintf("the client %s, a %s, advertised itself as %s in %s to the public server %s, ", client, addrKind(client), adv, n.Command, server)
	}
	if isShared(client) {
		f.Advice = carrierNATAdvice("the NAT that did not rewrite the PORT")
	}
	if refused {
		// Inside the NAT the point cannot see the PORT as the server got
		// it: left private (no helper), rewritten wrongly, or rewritten by
		// this NAT and not by a second one further on look the same.
		if n.Reply.Code >= 500 {
			f.Summary += fmt.Sprintf("and the server refused it (%s). A %s reaches a public server only through a NAT, and servers refuse %s that does not name the control connection's peer: "+
				"the %s reached the server naming another address than the one the server sees the client at", replyWhat(n.Reply), addrKind(client), aCommand(n.Command), n.Command)
		} else {
			f.Summary += fmt.Sprintf("and the server could not connect to it (%s). A %s reaches a public server only through a NAT: "+
				"the %s reached the server naming an address it could not reach", replyWhat(n.Reply), addrKind(client), n.Command)
		}
		f.Summary += fmt.Sprintf(": left as it was (no FTP helper on the NAT), rewritten wrongly, or rewritten by one NAT and not by a second one further on (such as a carrier's). "+
			"This point is inside the NAT and cannot see which: a capture outside each NAT shows the %s as it left", n.Command)
		f.Advice += fmt.Sprintf(" If the client's NAT already runs a helper, compare the %s on both sides of it: it must carry the NAT's outside address and the port the client listens on; "+
			"if it does, the NAT that failed is further on.", n.Command)
		if isShared(client) {
			f.Summary = fmt.Sprintf("the client %s, a %s, advertised itself as %s in %s to the public server %s, and the server refused it (%s): "+
				"the carrier-grade NAT between this point and the server did not rewrite the %s to the client's public address. This point is inside that NAT and does not see "+
				"the PORT leave it; a capture on its outside shows it", client, addrKind(client), adv, n.Command, server, replyWhat(n.Reply), n.Command)
			f.Advice = carrierNATAdvice("the NAT that did not rewrite the PORT")
		}
		return f
	}
	f.Summary += fmt.Sprintf("which the server accepted (%d; a server that does not check the address accepts any PORT, so this does not show a rewrite), "+
		"and no connection from the server reached this point. A %s reaches a public server only through a NAT; unless that NAT's FTP helper rewrote the %s, "+
		"the server tried to connect to an address it cannot reach. This point is inside the NAT: it cannot tell that from a firewall dropping the server's connection "+
		"on the way back; a capture outside the NAT shows which", n.Reply.Code, addrKind(client), n.Command)
	return f
}

// rulePassivePrivateAddress: a passive reply advertises a private address
// the client cannot reach.
//
// Seen on the client's side or between the NATs, the 227 names a private
// address other than the server's control address: an error when the
// client followed it and failed (or gave up), a warning when the client
// ignored it, connected to the control address and that worked. Seen on
// the server's LAN behind port forwarding, the 227 names the server's own
// private address while the client is public: this point cannot tell a
// client that ignored the 227 from a helper that rewrote it or port
// forwarding of a correct public address, so a working transfer gets no
// finding, and a failed one says what the point cannot see.
func rulePassivePrivateAddress(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	n := t.N
	if !n.Mode.IsPassive() || n.Reply.Code < 200 || n.Reply.Code >= 300 || !n.Address.IsValid() {
		return nil
	}
	ss := s.S
	client, server, adv := ss.Client.Addr(), ss.Server.Addr(), n.Address
	advClass := analyze.ClassOf(adv.Addr())
	if advClass.Routable() || adv.Addr() == client {
		return nil
	}
	// On the server's side of port forwarding the server's own address is
	// private and the client public: whatever the 227 names, a client that
	// ignored it and a helper that rewrote it look the same from here.
	behindForwarding := !analyze.ClassOf(server).Routable() && analyze.ClassOf(client).Routable()
	if adv.Addr() == server && !behindForwarding {
		return nil // the server's own private address, to a private client: a LAN
	}
	// Made once the rule applies: most transfers it reaches need none.
	finding := func() *Finding {
		return &Finding{Session: ss, Transfers: []*analyze.Transfer{t.T}, Evidence: t.Evidence()}
	}
	if behindForwarding {
		if t.State == analyze.Established || t.State == analyze.NotCaptured || t.DC == nil && !t.FinalFailed() && t.T.Command != "" {
			return fine
		}
		if t.DC == nil && t.T.Command == "" && !isLast(ss, n) {
			return fine
		}
		f := finding()
		f.Code, f.Severity = PassivePrivateAddress, Error
		whose := "its own private address"
		if adv.Addr() != server {
			whose = "the private address"
		}
		f.Summary = fmt.Sprintf("the server %s advertised %s %s in its %d reply to the public client %s, and no connection for it reached this point%s. "+
			"Unless a NAT's FTP helper on the way out rewrote the reply, a client that trusts the address cannot reach it. This point, on the server's side of the port forwarding, "+
			"cannot see whether the reply left rewritten: a capture outside the server's NAT shows it",
			ss.Server, whose, adv.Addr(), n.Reply.Code, client, finalSaid(t))
		f.Advice = fmt.Sprintf("Configure the public address clients use to reach this server for passive replies (vsftpd pasv_address, proftpd MasqueradeAddress, pure-ftpd -P) "+
			"and forward the passive port range (this reply used port %d) to %s.", adv.Port(), server)
		return f
	}
	if t.DC != nil && t.State == analyze.Established {
		if t.DC.MatchedBy != "control-address" {
			return nil // the client reached the private address: it is on that network
		}
		f := finding()
		f.Code, f.Severity = PassivePrivateAddress, Warning
		f.Summary = fmt.Sprintf("the server %s advertised the private address %s in its %d reply; the client ignored it and connected to the control address, which worked",
			ss.Server, adv.Addr(), n.Reply.Code)
		f.Advice = passiveAdvice(ss.Server.Addr(), adv) + " Until then, only clients that ignore the 227 address (curl's default, lftp ftp:ignore-pasv-address, FileZilla) work."
		return f
	}
	if t.DC == nil && (t.State == analyze.NotCaptured || t.T.Command != "" && !t.FinalFailed() || t.T.Command == "" && !isLast(ss, n)) {
		return nil
	}
	f := finding()
	f.Code, f.Severity = PassivePrivateAddress, Error
	tried := "no connection for it crossed this point"
	if t.DC != nil {
		tried = fmt.Sprintf("the client followed it, and its connection %s", stateWords(t.State))
	}
	f.Summary = fmt.Sprintf("the server %s is behind NAT and advertised its private address %s in its %d reply; %s%s", ss.Server, adv.Addr(), n.Reply.Code, tried, finalSaid(t))
	f.Advice = passiveAdvice(ss.Server.Addr(), adv) + " A client can also be told to ignore the 227 address (curl --ftp-skip-pasv-ip, lftp set ftp:ignore-pasv-address yes), or use EPSV, whose reply carries no address."
	return f
}

// passiveAdvice is the fix for a server advertising a private address: its
// public address (the one the client reached) in passive replies.
func passiveAdvice(public netip.Addr, adv netip.AddrPort) string {
	addr := "the public address clients use to reach it"
	if analyze.ClassOf(public).Routable() {
		addr = "its public address " + public.String()
	}
	return fmt.Sprintf("Configure the server to advertise %s in passive replies (vsftpd pasv_address, proftpd MasqueradeAddress, pure-ftpd -P) "+
		"and forward its passive port range (vsftpd pasv_min_port/pasv_max_port; this reply used port %d) from the NAT to the server.", addr, adv.Port())
}

// isLast reports whether n is the session's last negotiation.
func isLast(s *analyze.Session, n *analyze.Negotiation) bool {
	return len(s.Negotiations) > 0 && s.Negotiations[len(s.Negotiations)-1] == n
}

// finalSaid is "; the server answered "425 ..."" when there is a final
// reply.
func finalSaid(t *TransferFacts) string {
	if t.T.Final.Code == 0 {
		return ""
	}
	return fmt.Sprintf("; the server answered \"%s\"", replyWhat(t.T.Final))
}
