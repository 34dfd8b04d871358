package diagnose

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// SessionFacts are what the rules know about one session, computed once
// from the analysis.
type SessionFacts struct {
	S     *analyze.Session
	Point string
	// Side is where the capture point sits for this session, and why.
	Side    analyze.Side
	SideWhy string
	// ClientHops and ServerHops are the router hops between each host and
	// this point, from the TTL (hop limit) of its control packets; -1 when
	// not known.
	ClientHops, ServerHops int
	// ClientClass and ServerClass classify the control connection's
	// addresses as seen here.
	ClientClass, ServerClass analyze.AddrClass
	// NATInSight: the two control addresses are of different kinds (one
	// private, one public): a NAT usually translates one of them.
	NATInSight bool
	// ClientInner and ServerInner are private addresses the client
	// advertised in PORT/EPRT (the server in a 227) other than its address
	// as seen here: its address on the other side of a NAT (invalid: none).
	ClientInner, ServerInner netip.Addr
	Transfers                []*TransferFacts
}

// TransferFacts are what the rules know about one transfer.
type TransferFacts struct {
	T  *analyze.Transfer
	N  *analyze.Negotiation // nil: no negotiation preceded the command
	DC *analyze.DataConn    // nil: no data connection seen here
	// State is what became of the data connection at this point.
	State analyze.DataState
	// Opener is who opens the data connection: "client" (passive modes) or
	// "server" (active modes); "" without a negotiation.
	Opener string
	// What names the transfer in a sentence: "RETR small.bin", or the
	// negotiation when no command used it.
	What string
	// Later are the session's transfers after this one (fallbacks).
	Later []*analyze.Transfer
	// evidence caches Evidence (most transfers need none).
	evidence []Evidence
	// explained: a session rule has explained the transfer (the cause
	// rules leave it alone).
	explained bool
	// failed: its cause was a finding of severity error (what late session
	// rules read).
	failed bool
}

// Evidence is the transfer's story in frames: negotiation, reply, SYN,
// the answer, the final reply, in time order. A finding may keep it.
func (t *TransferFacts) Evidence() []Evidence {
	if t.evidence == nil {
		t.evidence = transferEvidence(t.T)
	}
	return t.evidence[:len(t.evidence):len(t.evidence)]
}

// FinalFailed reports whether the server's final reply was a failure.
func (t *TransferFacts) FinalFailed() bool { return t.T.Final.Code >= 400 }

func newSessionFacts(point string, s *analyze.Session) *SessionFacts {
	f := &SessionFacts{}
	if n := len(s.Transfers); n > 0 {
		// One allocation for all of them: a session may hold thousands.
		f.fill(point, s, make([]TransferFacts, n), make([]*TransferFacts, n))
	} else {
		f.fill(point, s, nil, nil)
	}
	return f
}

// fill computes the facts of session s at point into f, those of its
// transfers into tfs and ptrs, as long as s.Transfers.
func (f *SessionFacts) fill(point string, s *analyze.Session, tfs []TransferFacts, ptrs []*TransferFacts) {
	*f = SessionFacts{S: s, Point: point, ClientHops: -1, ServerHops: -1}
	f.Side, f.SideWhy = s.Side, s.SideWhy
	if f.Side == "" {
		f.Side, f.SideWhy = analyze.InferSide(point, s)
	}
	if s.ClientTTL != 0 {
		f.ClientHops = analyze.HopsFromTTL(s.ClientTTL)
	}
	if s.ServerTTL != 0 {
		f.ServerHops = analyze.HopsFromTTL(s.ServerTTL)
	}
	f.ClientClass, f.ServerClass = analyze.ClassOf(s.Client.Addr()), analyze.ClassOf(s.Server.Addr())
	f.NATInSight = s.Client.Addr().Is4() == s.Server.Addr().Is4() && f.ClientClass.Routable() != f.ServerClass.Routable()
	if len(s.Transfers) > 0 {
		for i, t := range s.Transfers {
			tfs[i] = newTransferFacts(t, s.Transfers[i+1:])
			ptrs[i] = &tfs[i]
		}
		f.Transfers = ptrs
	}
	for _, n := range s.Negotiations {
		a := n.Address.Addr()
		if n.Inferred != "" || n.ParseError != "" || !a.IsValid() || analyze.ClassOf(a).Routable() {
			continue
		}
		switch {
		case !n.Mode.IsPassive() && a != s.Client.Addr() && a.Is4() == s.Client.Addr().Is4() && !f.ClientInner.IsValid():
			f.ClientInner = a
		case n.Mode.IsPassive() && n.Command != "EPSV" && a != s.Server.Addr() && a.Is4() == s.Server.Addr().Is4() && !f.ServerInner.IsValid():
			f.ServerInner = a
		}
	}
}

// factsRoom is where a Diagnoser computes the facts of the sessions it
// diagnoses one by one, reused from one session to the next: three
// allocations per session otherwise, and some 150 bytes per transfer.
// Nothing keeps facts past their diagnosis (findings hold the analysis's
// own session and transfers, and the evidence a transfer's facts made).
// The room is as big as the biggest session so far (at most
// analyze.Limits.MaxTransfersPerSession transfers).
type factsRoom struct {
	session   SessionFacts
	transfers []TransferFacts
	ptrs      []*TransferFacts
}

// facts computes the facts of session s at point, in place of the last
// session's.
func (r *factsRoom) facts(point string, s *analyze.Session) *SessionFacts {
	clear(r.transfers) // nothing of the last session's analysis is kept alive
	clear(r.ptrs)
	n := len(s.Transfers)
	if cap(r.transfers) < n {
		r.transfers, r.ptrs = make([]TransferFacts, n), make([]*TransferFacts, n)
	}
	r.transfers, r.ptrs = r.transfers[:n], r.ptrs[:n]
	r.session.fill(point, s, r.transfers, r.ptrs)
	return &r.session
}

// Facts computes the facts the rules read about session s at point:
// reports that draw a session (the ladder) read the same.
func Facts(point string, s *analyze.Session) *SessionFacts { return newSessionFacts(point, s) }

func newTransferFacts(t *analyze.Transfer, later []*analyze.Transfer) TransferFacts {
	tf := TransferFacts{T: t, N: t.Negotiation, DC: t.Data(), State: t.DataState(), Later: later}
	if n := t.Negotiation; n != nil {
		tf.Opener = "server"
		if n.Mode.IsPassive() {
			tf.Opener = "client"
		}
	}
	tf.What = t.Command
	if t.Arg != "" {
		tf.What += " " + t.Arg
	}
	if tf.What == "" && t.Negotiation != nil {
		switch n := t.Negotiation; {
		case n.Command != "":
			tf.What = n.Command + " (no transfer command followed)"
		case n.Inferred == "tls-host-pair":
			tf.What = "a transfer (its commands encrypted)"
		default:
			// Known by its data connection alone (active data from port
			// 20 whose PORT was not captured).
			tf.What = "a transfer (its commands not captured)"
		}
	}
	return tf
}

// transferEvidence is the frames of a transfer's story.
func transferEvidence(t *analyze.Transfer) []Evidence {
	// Put together on the stack (six frames at most), then one allocation
	// of the length it has; a frame's words are made only for a frame seen.
	var frames [6]Evidence
	ev := frames[:0]
	add := func(at analyze.Ref, what string) { ev = append(ev, Evidence{At: at, What: what}) }
	n := t.Negotiation
	if n != nil {
		if n.CommandAt.Valid() {
			add(n.CommandAt, commandLine(n.Command, n.Arg))
		}
		if n.Reply.At.Valid() {
			add(n.Reply.At, replyWhat(n.Reply))
		}
	}
	if t.CommandAt.Valid() && (n == nil || t.CommandAt != n.CommandAt) {
		add(t.CommandAt, commandLine(t.Command, t.Arg))
	}
	if dc := t.Data(); dc != nil {
		switch {
		case !dc.SYN.Valid():
		case dc.Src.IsValid() && dc.Dst.IsValid(): // (AppendTo writes nothing for an invalid one; String "invalid AddrPort")
			// fmt.Sprintf("SYN %s → %s", dc.Src, dc.Dst) in one allocation.
			b := make([]byte, 0, 128)
			b = dc.Dst.AppendTo(append(dc.Src.AppendTo(append(b, "SYN "...)), " → "...))
			add(dc.SYN, string(b))
		default:
			add(dc.SYN, fmt.Sprintf("SYN %s → %s", dc.Src, dc.Dst))
		}
		switch {
		case dc.SYNACK.Valid():
			add(dc.SYNACK, "SYN-ACK")
		case dc.RST.Valid():
			add(dc.RST, fmt.Sprintf("RST from %s", rstSender(dc)))
		case dc.ICMP.Valid():
			add(dc.ICMP, fmt.Sprintf("ICMP unreachable (type %d code %d) from %s", dc.ICMPType, dc.ICMPCode, dc.ICMPFrom))
		case len(dc.SYNRetries) > 0 && dc.Last.Valid():
			add(dc.Last, fmt.Sprintf("SYN retransmitted %d times, never answered (last after %s)", len(dc.SYNRetries), dc.SYNRetries[len(dc.SYNRetries)-1]))
		}
	}
	if t.Final.At.Valid() {
		add(t.Final.At, replyWhat(t.Final))
	}
	sortEvidence(ev)
	return append(make([]Evidence, 0, len(ev)), ev...)
}

// commandLine is a command with its argument, as a line: the command alone
// when it has none.
func commandLine(command, arg string) string {
	if arg == "" {
		return strings.TrimSpace(command) // what the line would trim to, without making it
	}
	return strings.TrimSpace(command + " " + arg)
}

// aCommand is an address command's name with its indefinite article, as
// it is read aloud: "a PORT" (a word), "an EPRT", "an LPRT" (letters).
func aCommand(command string) string {
	if strings.HasPrefix(command, "E") || strings.HasPrefix(command, "L") {
		return "an " + command
	}
	return "a " + command
}

// stateWords says what became of a connection, after "the connection".
func stateWords(st analyze.DataState) string {
	switch st {
	case analyze.Established:
		return "was set up"
	case analyze.NoAnswer:
		return "was never answered"
	case analyze.Refused:
		return "was reset"
	case analyze.Unreachable:
		return "was refused by ICMP"
	case analyze.NotCaptured:
		return "is not in the capture"
	}
	return "was not seen"
}

// rstSender names the address a data connection's RST came from.
func rstSender(dc *analyze.DataConn) netip.AddrPort {
	if dc.RSTFromAcc {
		return dc.Dst
	}
	return dc.Src
}

func replyWhat(r analyze.Reply) string {
	if r.Code == 0 {
		return ""
	}
	return analyze.CodeText(r.Code, r.Text)
}

// hops says how many routers a packet crossed, in words.
func hops(n int) string {
	if n == 1 {
		return "1 router hop"
	}
	return fmt.Sprintf("%d router hops", n)
}
