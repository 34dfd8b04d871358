package diagnose

import (
	"fmt"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// ruleNoNegotiation: a transfer command with no PORT/PASV before it in the
// capture, which the server refused.
func ruleNoNegotiation(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	if t.N != nil {
		return nil
	}
	if !t.FinalFailed() {
		return fine
	}
	return &Finding{Code: TransferFailed, Severity: Error, Session: s.S, Transfers: []*analyze.Transfer{t.T}, Evidence: t.Evidence(),
		Summary: fmt.Sprintf("%s failed with \"%s\" and no PORT/PASV preceded it in the capture", t.What, replyWhat(t.T.Final)),
		Advice:  "The server needs a PORT, EPRT, PASV or EPSV before each transfer; if the client sent one, it was lost from the capture or refused earlier."}
}

// ruleInferredNegotiation: the negotiation was not visible (an encrypted
// control channel, or active data from port 20 whose PORT was not
// captured); it was inferred from the data connection, so there is nothing
// to judge it by, only the connection itself: a failed one is said as any
// failed data connection, unless a NAT is in sight under TLS (then
// tls-blind-alg explains it).
func ruleInferredNegotiation(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	if t.N.Inferred == "" {
		return nil
	}
	if t.DC != nil && t.State != analyze.Established && !(s.S.TLS && s.NATInSight) {
		// A failed connection is seen whatever the control channel says;
		// with a NAT in sight, tls-blind-alg explains it.
		return ruleDataFailed(d, s, t)
	}
	return fine
}

// ruleExtendedRefused: the server refused EPSV/EPRT (or LPSV/LPRT) and the
// client fell back to another negotiation: harmless.
func ruleExtendedRefused(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	n := t.N
	if n.Reply.Code < 400 {
		return nil
	}
	switch n.Command {
	case "EPSV", "LPSV", "EPRT", "LPRT":
	default:
		return nil
	}
	if !fallsBack(t.Later) {
		return nil
	}
	advice := "Harmless here, but EPSV needs no address in the reply and so crosses NAT without any helper: enable it on the server if you can."
	if !n.Mode.IsPassive() {
		advice = "Harmless here. Passive mode (EPSV) would need no address rewriting at all."
	}
	return &Finding{Code: ExtendedRefused, Severity: Info, Session: s.S, Transfers: []*analyze.Transfer{t.T}, Evidence: t.Evidence(),
		Summary: fmt.Sprintf("the server refused %s (%s) and the client fell back to another mode", n.Command, replyWhat(n.Reply)),
		Advice:  advice}
}

func fallsBack(later []*analyze.Transfer) bool {
	for _, t := range later {
		if t.Negotiation != nil {
			return true
		}
	}
	return false
}

// rulePassiveUnanswered: a PASV/EPSV whose reply the capture does not
// hold: nothing to judge it by; a failed final reply still says why.
func rulePassiveUnanswered(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	if !t.N.Mode.IsPassive() || t.N.Reply.Code != 0 {
		return nil
	}
	switch {
	case !t.FinalFailed():
		return fine
	case !dataReply(t.T.Final.Code):
		return serverRefusedRequest(s, t)
	}
	// 425/426: the data connection failed, but without the passive reply
	// this point cannot tell which connection it was.
	return &Finding{Code: TransferFailed, Severity: Error, Session: s.S, Transfers: []*analyze.Transfer{t.T}, Evidence: t.Evidence(),
		Summary: fmt.Sprintf("%s failed: the server answered \"%s\", about its data connection; the reply to %s is not in the capture, so which connection it was cannot be told here",
			t.What, replyWhat(t.T.Final), t.N.Command),
		Advice: "A capture that holds the passive reply (and the data connection to its port) shows where the connection failed."}
}

// rulePassiveRefused: the server refused PASV/EPSV, so the transfer had no
// data connection to use.
func rulePassiveRefused(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	n := t.N
	if !n.Mode.IsPassive() || n.Reply.Code < 400 {
		return nil
	}
	if t.T.Command == "" && !t.FinalFailed() {
		return fine
	}
	return &Finding{Code: TransferFailed, Severity: Error, Session: s.S, Transfers: []*analyze.Transfer{t.T}, Evidence: t.Evidence(),
		Summary: fmt.Sprintf("the server refused %s (%s), so %s could not open a data connection", n.Command, replyWhat(n.Reply), t.What),
		Advice:  "Check that the server allows passive mode and has free ports in its passive range."}
}

// rulePassiveReplyUnusable: the server's 227/228/229 carries no address a
// client can use.
func rulePassiveReplyUnusable(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	n := t.N
	if !n.Mode.IsPassive() || n.ParseError == "" {
		return nil
	}
	if n.ParseError == analyze.ErrCutByGap {
		return fine // the capture lost part of it: the capture-gap finding says so
	}
	sev := Error
	if !t.FinalFailed() {
		sev = Warning
	}
	return &Finding{Code: TransferFailed, Severity: sev, Session: s.S, Transfers: []*analyze.Transfer{t.T}, Evidence: t.Evidence(),
		Summary: fmt.Sprintf("the server's %d reply carries no address a client can use (%s)", n.Reply.Code, n.ParseError),
		Advice:  "Fix the server's passive-mode reply; RFC 959 and RFC 1123 want six numbers h1,h2,h3,h4,p1,p2 in a 227."}
}

// rulePortUnanswered: a PORT that nothing answered and nothing used.
func rulePortUnanswered(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	n := t.N
	if n.Mode.IsPassive() || n.Reply.Code != 0 || t.T.Command != "" || t.DC != nil {
		return nil
	}
	return fine
}

// rulePortMalformed: the client sent a PORT/EPRT the server could not
// parse, and the server refused it.
func rulePortMalformed(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	n := t.N
	if n.Mode.IsPassive() || n.ParseError == "" {
		return nil
	}
	if n.ParseError == analyze.ErrCutByGap || n.Reply.Code < 400 {
		return fine
	}
	return &Finding{Code: PortRejected, Severity: Error, Session: s.S, Transfers: []*analyze.Transfer{t.T}, Evidence: t.Evidence(),
		Summary: fmt.Sprintf("the client sent a malformed %s (%s) and the server refused it (%s)", n.Command, n.ParseError, replyWhat(n.Reply)),
		Advice:  "Fix the client's " + n.Command + " argument, or use passive mode."}
}

// rulePortRejected: the server refused a well-formed PORT/EPRT, and no NAT
// explains it.
func rulePortRejected(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	n := t.N
	if n.Mode.IsPassive() || n.Reply.Code < 400 {
		return nil
	}
	f := &Finding{Code: PortRejected, Severity: Error, Session: s.S, Transfers: []*analyze.Transfer{t.T}, Evidence: t.Evidence(),
		Summary: fmt.Sprintf("the server refused %s %s (%s)", n.Command, n.Address, replyWhat(n.Reply)),
		Advice: "Servers refuse a PORT whose address is not the control connection's peer, or whose port is below 1024 (vsftpd: port_promiscuous=NO; RFC 2577). " +
			"Make the PORT carry the address the server sees, or use passive mode."}
	if t.T.Command == "" && !t.FinalFailed() {
		f.Severity = Warning
	}
	return f
}
