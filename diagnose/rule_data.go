package diagnose

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// dataReply reports whether a final reply speaks of the data connection
// (RFC 959: 425 can't open, 426 closed/aborted, 421 service closing) or is
// missing, as opposed to the server refusing the request itself (550...).
func dataReply(code int) bool { return code == 0 || code == 425 || code == 426 || code == 421 }

// noConnectionBack reports whether a transfer's data connection did not
// come, as far as this point can tell: none seen (and the replies do not
// say it ran), or one that failed, and the server's final word, if any,
// speaks of the data connection (a 550 is the file, not the connection).
func noConnectionBack(t *TransferFacts) bool {
	switch {
	case t.State == analyze.NotCaptured, t.State == analyze.Established:
		return false
	case !dataReply(t.T.Final.Code):
		return false
	}
	return true
}

// ruleServerRefusedRequest: the server refused the request itself (550 no
// such file, 553 not allowed...), not the data connection.
func ruleServerRefusedRequest(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	if !t.FinalFailed() || dataReply(t.T.Final.Code) && !(t.State == analyze.Established && t.T.Final.Code != 426) {
		return nil
	}
	return serverRefusedRequest(s, t)
}

func serverRefusedRequest(s *SessionFacts, t *TransferFacts) *Finding {
	f := &Finding{Code: TransferFailed, Severity: Error, Session: s.S, Transfers: []*analyze.Transfer{t.T}, Evidence: t.Evidence(),
		Summary: fmt.Sprintf("%s failed: the server answered \"%s\"", t.What, replyWhat(t.T.Final))}
	switch {
	case t.T.Final.Code == 500 && everyServerKnows(t.T.Command):
		// A server that knows the verb and answers "unknown command" did
		// not read the line the client sent.
		f.Summary = fmt.Sprintf("%s failed: the server answered \"%s\" to %s, a command every FTP server knows, which this point saw whole (frame %d): the server did not read the line the client sent",
			t.What, replyWhat(t.T.Final), t.T.Command, t.T.CommandAt.Frame)
		if n := t.N; n != nil && !n.Mode.IsPassive() && n.At.Valid() {
			f.Summary += fmt.Sprintf(". The line before it, %s (frame %d), is one an FTP helper on a NAT rewrites; a helper that changes its length without shifting the later sequence numbers "+
				"makes the server take the first bytes of the next line for ones it already has and read the rest cut. This point cannot see the bytes the server got: a capture on the far side of the client's NAT shows them", n.Command, n.At.Frame)
		}
		f.Advice = "Compare captures on both sides of the client's NAT or firewall (--point): a box that rewrites the control connection changed the client's bytes. Until it is fixed, use passive mode."
	case t.State == analyze.Established:
		f.Advice = "The data connection itself was set up; the reply says why the server gave up (permissions, a missing file, a full disk)."
	default:
		f.Advice = "Act on the server's reply, which says why it refused the request (permissions, a missing file, a full disk): the data connection is not the cause."
	}
	return f
}

// ruleDataWorked: the data connection was set up here; what the server
// answered after it was decided by ruleServerRefusedRequest.
func ruleDataWorked(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	if t.DC == nil || t.State != analyze.Established {
		return nil
	}
	return fine
}

// ruleDataNotNeeded: no data connection was seen here, and none was
// needed or its absence is not a failure: no command used the negotiation
// (and it was not the client's last word), the transfer worked (its data
// connection simply did not cross this point: the replies say it ran), or
// the capture ends, with the session open, before the outcome.
func ruleDataNotNeeded(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	if t.DC != nil {
		return nil
	}
	n, tr := t.N, t.T
	switch {
	case t.State == analyze.NotCaptured:
		return fine
	case tr.Final.Code == 0 && s.S.Closed == "" && s.S.Closing.Code == 0:
		// The capture ends, the session still open, before the outcome:
		// nothing has failed yet.
		return fine
	case tr.Command == "" && n.Mode.IsPassive() && n.Accepted() && isLast(s.S, n):
		// Clients connect before they send the command: a passive reply
		// followed by nothing means the client could not connect and gave up.
		return nil
	case tr.Command == "", tr.Final.Code >= 200 && tr.Final.Code < 400:
		return fine
	case tr.Final.Code == 0 && (tr.Prelim.Code == 125 || tr.Prelim.Code == 150):
		return fine
	}
	return nil
}

// ruleDataFailed: the data connection failed, or did not cross this point
// while the transfer failed. What the point saw decides the code and the
// words: a SYN never answered, reset (by the host itself or a box in front
// of it, from the reset's hop count), refused by ICMP (from which router),
// or no SYN at all (on the opener's own link: it never sent one; anywhere
// else: it died before this point, or was never sent). The advice follows
// from the same reading.
func ruleDataFailed(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	n, dc := t.N, t.DC
	f := &Finding{Session: s.S, Transfers: []*analyze.Transfer{t.T}, Evidence: t.Evidence()}
	ends := dataEnds(s, t)
	var target string
	if dc != nil {
		target = dc.Dst.String()
	} else {
		target = n.Address.String()
	}
	said := finalSaid(t)
	a := answerOf(s, t, ends)
	switch t.State {
	case analyze.NoAnswer:
		f.Code, f.Severity = DataNoAnswer, Error
		f.Summary = fmt.Sprintf("%s's data connection to %s for %s was never answered (SYN sent %s): %s%s", ends.opener, target, t.What, times(1+len(dc.SYNRetries)), a.Words, said)
	case analyze.Refused:
		f.Code, f.Severity = DataRefused, Error
		f.Summary = fmt.Sprintf("%s's data connection to %s for %s was reset: %s%s", ends.opener, target, t.What, a.Words, said)
	case analyze.Unreachable:
		f.Code, f.Severity = DataUnreachable, Error
		f.Summary = fmt.Sprintf("%s's data connection to %s for %s was refused by ICMP: %s%s", ends.opener, target, t.What, a.Words, said)
	default: // no SYN here
		if ends.openerHops == 0 {
			f.Code, f.Severity = DataNotAttempted, Error
			f.Summary = fmt.Sprintf("%s sent no connection to %s for %s: this point is on its own link, and no SYN left it%s", ends.opener, target, t.What, said)
		} else {
			f.Code, f.Severity = DataNotSeen, Error
			away := ""
			if ends.openerHops > 0 {
				away = fmt.Sprintf(" (%s from %s)", hops(ends.openerHops), ends.opener)
			}
			f.Summary = fmt.Sprintf("no connection from %s to %s for %s crossed this point%s%s: it died before reaching it, or %s never sent it; a capture on %s's own link tells which",
				ends.opener, target, t.What, away, said, ends.opener, ends.opener)
		}
	}
	f.Advice = dataAdvice(s, t, ends, a)
	return f
}

// dataEnds names a transfer's data connection's two ends and their hops
// from this point.
type dataEndsInfo struct {
	opener, acceptor         string // "the client", "the server"
	openerHops, acceptorHops int    // -1: not known
	acceptorAddr             netip.Addr
}

func dataEnds(s *SessionFacts, t *TransferFacts) dataEndsInfo {
	if t.Opener == "client" {
		return dataEndsInfo{"the client", "the server", s.ClientHops, s.ServerHops, s.S.Server.Addr()}
	}
	return dataEndsInfo{"the server", "the client", s.ServerHops, s.ClientHops, s.S.Client.Addr()}
}

// AnswerKind is who answered (or failed to answer) a data connection's
// SYN, as far as the capture point can tell.
type AnswerKind int

// The answers a data SYN can get, as a point reads them.
const (
	AnswerUnknown  AnswerKind = iota // answered, but the point cannot tell by whom
	AnswerAcceptor                   // the accepting host itself (set up, reset or dropped there)
	AnswerInFront                    // a box between this point and the acceptor, in its name
	AnswerBeyond                     // dropped somewhere past this point, not located
	AnswerRouter                     // a router or host that sent an ICMP error
	AnswerNone                       // no SYN at this point
)

// Answer is the reading of a data SYN's fate: who, in words, and from how
// many router hops the answer came (-1: not known).
type Answer struct {
	Kind  AnswerKind
	Words string
	Hops  int
}

// DiedOnPath reports whether the SYN died before the acceptor: dropped,
// rejected in its name, or refused by a router.
func (a Answer) DiedOnPath() bool {
	return a.Kind == AnswerInFront || a.Kind == AnswerBeyond || a.Kind == AnswerRouter
}

// AnswerFor reads who answered data connection dc, opened by opener
// ("client" or "server"): the reset's or ICMP error's hop count against
// the acceptor's (from its control packets). Reports draw with the same
// reading the rules use.
func (s *SessionFacts) AnswerFor(dc *analyze.DataConn, opener string) Answer {
	t := &TransferFacts{DC: dc, Opener: opener}
	return answerOf(s, t, dataEnds(s, t))
}

// answerOf reads who answered a failed data SYN.
func answerOf(s *SessionFacts, t *TransferFacts, e dataEndsInfo) Answer {
	dc := t.DC
	if dc == nil {
		return Answer{Kind: AnswerNone, Hops: -1}
	}
	toControlAddr := dc.Dst.Addr() == e.acceptorAddr
	ttl := ttlWord(dc.Dst.Addr().Is6())
	switch dc.State() {
	case analyze.Established:
		return Answer{AnswerAcceptor, "set up", -1}
	case analyze.NoAnswer:
		switch {
		case e.acceptorHops == 0 && toControlAddr:
			return Answer{AnswerAcceptor, fmt.Sprintf("this point is on %s's own link, so %s itself did not answer (its firewall drops it, or it is not there)", e.acceptor, e.acceptor), -1}
		case e.acceptorHops > 0 && toControlAddr:
			return Answer{AnswerBeyond, fmt.Sprintf("it was dropped between this point and %s (%s away), by a firewall or %s itself", e.acceptor, hops(e.acceptorHops), e.acceptor), -1}
		}
		return Answer{AnswerBeyond, "something on the path after this point dropped it", -1}
	case analyze.Refused:
		if dc.RSTTTL == 0 || e.acceptorHops < 0 || !toControlAddr {
			kind := AnswerUnknown
			if !dc.RSTFromAcc {
				kind = AnswerInFront
			}
			return Answer{kind, fmt.Sprintf("nothing listened at %s, or a firewall rejects it", dc.Dst), -1}
		}
		rstHops := analyze.HopsFromTTL(dc.RSTTTL)
		switch {
		case rstHops == e.acceptorHops:
			return Answer{AnswerAcceptor, fmt.Sprintf("the reset came %s, as %s's own packets do: %s itself refused it (nothing listening on port %d, or its own firewall)",
				cameFrom(rstHops, ttl, dc.RSTTTL), e.acceptor, e.acceptor, dc.Dst.Port()), rstHops}
		case rstHops < e.acceptorHops:
			return Answer{AnswerInFront, fmt.Sprintf("the reset came %s while %s is %s away: a box between this point and %s rejected it in its name (a firewall rejecting with a TCP reset)",
				cameFrom(rstHops, ttl, dc.RSTTTL), e.acceptor, hops(e.acceptorHops), e.acceptor), rstHops}
		}
		return Answer{AnswerUnknown, fmt.Sprintf("the reset came %s, farther than %s (%s): nothing listened there, or a firewall rejects it",
			cameFrom(rstHops, ttl, dc.RSTTTL), e.acceptor, hops(e.acceptorHops)), rstHops}
	case analyze.Unreachable:
		what := icmpMeaning(dc.Dst.Addr().Is6(), dc.ICMPType, dc.ICMPCode)
		if dc.ICMPTTL == 0 {
			return Answer{AnswerRouter, fmt.Sprintf("%s answered %s", dc.ICMPFrom, what), -1}
		}
		h := analyze.HopsFromTTL(dc.ICMPTTL)
		return Answer{AnswerRouter, fmt.Sprintf("%s, %s from this point, answered %s", dc.ICMPFrom, hops(h), what), h}
	}
	return Answer{Kind: AnswerUnknown, Hops: -1}
}

// cameFrom says where a packet came from by its router hops, with the
// TTL (hop limit) that says so: "from this link (no router between, TTL
// 64)" or "from 2 router hops away (TTL 62)".
func cameFrom(n int, ttlName string, ttl uint8) string {
	if n == 0 {
		return fmt.Sprintf("from this link (no router between, %s %d)", ttlName, ttl)
	}
	return fmt.Sprintf("from %s away (%s %d)", hops(n), ttlName, ttl)
}

// hopsAway says where a box is from this point: "on this link" or "2
// router hops from this point".
func hopsAway(n int) string {
	if n == 0 {
		return "on this link"
	}
	return hops(n) + " from this point"
}

// icmpMeaning names an ICMP (or ICMPv6) destination-unreachable code.
func icmpMeaning(v6 bool, typ, code uint8) string {
	if v6 {
		switch code {
		case 0:
			return "no route to destination (ICMPv6 type 1 code 0)"
		case 1:
			return "communication administratively prohibited (ICMPv6 type 1 code 1: a firewall rule)"
		case 3:
			return "address unreachable (ICMPv6 type 1 code 3)"
		case 4:
			return "port unreachable (ICMPv6 type 1 code 4)"
		case 5, 6:
			return fmt.Sprintf("rejected by policy (ICMPv6 type 1 code %d: a firewall rule)", code)
		}
		return fmt.Sprintf("destination unreachable (ICMPv6 type %d code %d)", typ, code)
	}
	switch code {
	case 0:
		return "network unreachable (ICMP type 3 code 0)"
	case 1:
		return "host unreachable (ICMP type 3 code 1)"
	case 3:
		return "port unreachable (ICMP type 3 code 3)"
	case 9, 10, 13:
		return fmt.Sprintf("administratively prohibited (ICMP type 3 code %d: a firewall rule)", code)
	}
	return fmt.Sprintf("destination unreachable (ICMP type %d code %d)", typ, code)
}

// ttlWord is what the IP header's hop counter is called.
func ttlWord(v6 bool) string {
	if v6 {
		return "hop limit"
	}
	return "TTL"
}

// dataAdvice is the fix for a failed data connection, from the mode and
// who answered: the host itself, a box in front of it, a router that sent
// ICMP, or an unlocated drop. A client's active-mode port changes with
// every transfer, so it is never the thing to open.
func dataAdvice(s *SessionFacts, t *TransferFacts, e dataEndsInfo, a Answer) string {
	passive := t.Opener == "client"
	if a.Kind == AnswerNone {
		if e.openerHops == 0 {
			return fmt.Sprintf("No SYN left %s: look at %s itself: its own firewall (outbound rules), or the program, which may have given up before connecting (its log says why).", e.opener, e.opener)
		}
		return fmt.Sprintf("Capture on %s's own link (or nearer it): if the SYN leaves it there, it is dropped between there and this point; if not, %s never sent it.", e.opener, e.opener)
	}
	if t.DC != nil && t.DC.Dst.Addr() != e.acceptorAddr {
		// The connection went elsewhere than the peer's own address: the
		// negotiation's address, which is the thing to look at.
		return fmt.Sprintf("The connection went to %s, not to %s as seen here (%s): check the address the %s advertised, and what answers at %s.",
			t.DC.Dst, e.acceptor, e.acceptorAddr, t.N.Command, t.DC.Dst.Addr())
	}
	var where string
	switch a.Kind {
	case AnswerAcceptor:
		where = fmt.Sprintf("on %s itself (its own firewall, or the program listening)", e.acceptor)
	case AnswerInFront:
		where = fmt.Sprintf("on the box in front of %s that sent the reset (%s)", e.acceptor, hopsAway(a.Hops))
	case AnswerRouter:
		where = fmt.Sprintf("on %s, which refused it", t.DC.ICMPFrom)
	default:
		where = fmt.Sprintf("on every firewall between %s and %s", e.opener, e.acceptor)
	}
	if passive && a.Kind == AnswerAcceptor && t.State == analyze.Refused {
		return fmt.Sprintf("The server advertised port %d but refused the connection to it itself: nothing listened there when the client connected (the server closed its passive listener, "+
			"or advertises a port it does not listen on), or the server's own firewall rejects it. Check the server's passive port settings and its log, and that the range it advertises is open on the server itself.", t.N.Address.Port())
	}
	if passive {
		return fmt.Sprintf("Let the client's connections reach the server's passive ports %s: pin the server's passive port range (vsftpd pasv_min_port/pasv_max_port, proftpd PassivePorts; "+
			"this reply used port %d) and accept that range (nftables: tcp dport <min>-<max> accept), or accept related connections with the FTP helper "+
			"(ct helper \"ftp\" on the control connection, then ct state related accept).", where, t.N.Address.Port())
	}
	from := "data port (20 by convention)"
	if t.DC != nil {
		from = fmt.Sprintf("port %d (as its SYN shows)", t.DC.Src.Port())
	}
	if a.Kind == AnswerAcceptor {
		return fmt.Sprintf("The client refused the server's connection itself: let its own firewall accept connections from the server's %s, "+
			"by source or as related connections of the FTP control connection (the client's port changes with every transfer), make sure the client still listens when the server connects, or use passive mode.", from)
	}
	return fmt.Sprintf("Use passive mode, or let the server's active-mode connections in to the client %s: accept connections from the server's %s, "+
		"or as related connections with the FTP helper (ct helper \"ftp\" on the control connection, then ct state related accept); "+
		"the client's port changes with every transfer, so opening one port does not help.", where, from)
}

// everyServerKnows reports whether verb is a transfer command every FTP
// server implements (RFC 959): "500 unknown command" to it means the
// server did not get the line as sent.
func everyServerKnows(verb string) bool {
	switch strings.ToUpper(verb) {
	case "RETR", "STOR", "LIST", "NLST", "APPE":
		return true
	}
	return false
}
