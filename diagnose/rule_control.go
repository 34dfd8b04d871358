package diagnose

import (
	"fmt"
	"strings"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/analyze/ftp"
)

// ruleControlNeverStarted: the control connection's SYN was never
// answered, or was refused by a reset or an ICMP error, so no session
// began. One finding per attempt, each with its own frames.
func ruleControlNeverStarted(d *run, s *SessionFacts) {
	ss := s.S
	o := &ss.Opening
	if !o.SYN.Valid() || o.SYNACK.Valid() || ss.Replies > 0 || ss.Commands > 0 {
		return
	}
	f := &Finding{Session: ss, Severity: Error,
		Evidence: []Evidence{{At: o.SYN, What: fmt.Sprintf("SYN %s → %s", ss.Client, ss.Server)}}}
	ttl := ttlWord(ss.Server.Addr().Is6())
	switch o.State() {
	case analyze.Refused:
		f.Code = ControlRefused
		f.Evidence = append(f.Evidence, Evidence{At: o.RST, What: fmt.Sprintf("RST from %s", ss.Server)})
		from := ""
		if o.RSTTTL != 0 {
			from = " " + cameFrom(analyze.HopsFromTTL(o.RSTTTL), ttl, o.RSTTTL)
		}
		f.Summary = fmt.Sprintf("the client %s's control connection to %s was reset%s: nothing accepts connections on port %d there, or a firewall rejects them; no FTP session began",
			ss.Client.Addr(), ss.Server, from, ss.Server.Port())
		f.Advice = fmt.Sprintf("Check that the FTP server runs and listens on %s (ss -ltn on the server), that the client uses the right address and port, "+
			"and that no firewall rejects port %d. This point cannot tell the server host from a firewall answering in its name: a capture on the server's link can.", ss.Server, ss.Server.Port())
	case analyze.Unreachable:
		f.Code = ControlUnreachable
		f.Evidence = append(f.Evidence, Evidence{At: o.ICMP, What: fmt.Sprintf("ICMP unreachable (type %d code %d) from %s", o.ICMPType, o.ICMPCode, o.ICMPFrom)})
		who := o.ICMPFrom.String()
		if o.ICMPTTL != 0 {
			who += fmt.Sprintf(", %s from this point,", hops(analyze.HopsFromTTL(o.ICMPTTL)))
		}
		f.Summary = fmt.Sprintf("the client %s's control connection to %s was refused by ICMP: %s answered %s; no FTP session began",
			ss.Client.Addr(), ss.Server, who, icmpMeaning(ss.Server.Addr().Is6(), o.ICMPType, o.ICMPCode))
		f.Advice = fmt.Sprintf("%s rejects connections to %s: open port %d there for this client (or fix the route, for a network or host unreachable).", o.ICMPFrom, ss.Server, ss.Server.Port())
	default:
		f.Code = ControlNoAnswer
		if n := len(o.SYNRetries); n > 0 {
			f.Evidence = append(f.Evidence, Evidence{At: o.LastSYN, What: fmt.Sprintf("SYN retransmitted %d times, never answered (last after %s)", n, o.SYNRetries[n-1])})
		}
		where := "after this point"
		if s.ClientHops == 0 {
			where = "between this point, on the client's link, and the server"
		}
		f.Summary = fmt.Sprintf("the client %s's control connection to %s was never answered (SYN sent %s): it was dropped %s, or the server is down; no FTP session began",
			ss.Client.Addr(), ss.Server, times(1+len(o.SYNRetries)), where)
		f.Advice = fmt.Sprintf("Find the firewall that drops port %d towards %s (a capture nearer the server shows how far the SYN gets), or check that the server is up.", ss.Server.Port(), ss.Server.Addr())
	}
	d.add(f)
}

// ruleControlStalled: bytes one side sent on the control connection were
// retransmitted and never acknowledged: lost between this point and the
// receiver, and the session stalled there. A split PORT that a NAT's
// helper dropped is the same loss with a known cause: ruleMissedSplit says
// that one. The transfers whose commands were lost or came after are
// explained.
func ruleControlStalled(d *run, s *SessionFacts) {
	ss := s.S
	for _, st := range ss.Stalls {
		if st.FromClient && splitNegotiationIn(ss, st) {
			continue // ruleMissedSplit says it, with its cause
		}
		if seqMismatchExplains(ss, st) {
			continue // ruleControlSeqMismatch says it, with its cause
		}
		if st.FromClient && partialActiveCommand(st.Text) {
			d.add(partialCommandStall(s, st))
			continue
		}
		sender, receiver := "the client", "the server"
		if !st.FromClient {
			sender, receiver = "the server", "the client"
		}
		what := fmt.Sprintf("%d bytes", st.Bytes)
		if st.Text != "" {
			what = fmt.Sprintf("%d bytes (%q)", st.Bytes, st.Text)
		}
		f := &Finding{Code: ControlStalled, Severity: Error, Session: ss,
			Evidence: []Evidence{
				{At: st.First, What: fmt.Sprintf("%s sends %s", sender, what)},
				{At: st.Last, What: fmt.Sprintf("retransmitted %s, never acknowledged", times(st.Retransmissions))},
			}}
		if st.AckAt.Valid() {
			f.Evidence = append(f.Evidence, Evidence{At: st.AckAt, What: fmt.Sprintf("%s's last acknowledgement stops before them", receiver)})
		}
		f.Summary = fmt.Sprintf("%s's %s, first sent at frame %d, were retransmitted %s and never acknowledged by %s: they were lost between this point and %s, and the session stalled there%s",
			sender, what, st.First.Frame, times(st.Retransmissions), receiver, receiver, endedBy(ss, true, st.Last))
		f.Advice = fmt.Sprintf("Something between this point and %s drops these bytes: look for a firewall or an FTP helper (ALG) on the path that inspects the control connection "+
			"(a capture nearer %s shows where they stop). Retransmissions of the same bytes that never arrive point at a filter, not at congestion.", receiver, receiver)
		for _, t := range s.Transfers {
			if commandAtOrAfter(t.T, st.First) {
				f.Transfers = append(f.Transfers, t.T)
				t.explained = true
			}
		}
		d.add(f)
	}
}

// ruleLostBytes: bytes of one direction never crossed this point, and the
// receiver, which went on acknowledging, never acknowledged them: they
// were lost before this point (the capture is not to blame), and the
// session stalled there. When the bytes after the hole are the tail of a
// PORT/EPRT (its first part dropped, the rest carrying the client's private
// address unrewritten) it is the split command a NAT's helper drops.
func ruleLostBytes(d *run, s *SessionFacts) {
	ss := s.S
	for _, h := range ss.Lost {
		if !h.ReceiverAlive {
			continue // ruleCaptureGap says the point cannot tell
		}
		sender, receiver := side(h.FromClient), side(!h.FromClient)
		f := &Finding{Code: ControlStalled, Severity: Error, Session: ss,
			Evidence: []Evidence{{At: h.After, What: fmt.Sprintf("the %s's next segment starts %d bytes past the last one this point saw", sender, h.Bytes)}}}
		never := fmt.Sprintf("the %s, which went on acknowledging, never acknowledged them", receiver)
		if h.Silence > 0 {
			never = fmt.Sprintf("the %s acknowledged nothing in the %s the capture goes on after it", receiver, h.Silence.Round(time.Millisecond))
		}
		f.Summary = fmt.Sprintf("%d bytes of the %s's control stream never crossed this point: its segment at frame %d starts %d bytes past the last one seen, and %s; "+
			"they were lost before this point, and the session stalled there%s",
			h.Bytes, sender, h.After.Frame, h.Bytes, never, endedBy(ss, true, h.After))
		f.Advice = fmt.Sprintf("Something between the %s and this point drops these bytes: look for a firewall or an FTP helper (ALG) that inspects the control connection "+
			"(a capture nearer the %s shows them leave).", sender, sender)
		if addr, ok := privateTail(h.Text); ok && h.FromClient {
			f.Code = ALGMissedSplit
			f.Summary = fmt.Sprintf("the client's segment at frame %d carries %q, the tail of an active-mode command with the private address %s, not rewritten, "+
				"while its first %d bytes never crossed this point and the server never acknowledged them: the command was split across segments, its first part was dropped "+
				"before this point (a NAT's FTP helper drops a segment holding part of a PORT) and the rest leaked the client's private address; the session stalled there%s",
				h.After.Frame, h.Text, addr, h.Bytes, endedBy(ss, true, h.After))
			f.Advice = "Use passive mode (no command to rewrite), or a client that writes each command in one segment; the Linux helper (nf_conntrack_ftp) drops a segment that holds only part of a PORT."
		}
		for _, t := range s.Transfers {
			if commandAtOrAfter(t.T, h.After) {
				f.Transfers = append(f.Transfers, t.T)
				t.explained = true
			}
		}
		d.add(f)
	}
}

// privateTail reports whether text (what followed a hole) is the tail of
// a PORT/EPRT naming a private address, and which. A text that starts
// with the whole verb is a command of its own: the bytes lost before it
// were not its start.
func privateTail(text string) (string, bool) {
	if verb, _, _ := strings.Cut(text, " "); strings.EqualFold(verb, "PORT") || strings.EqualFold(verb, "EPRT") {
		return "", false
	}
	for _, cand := range []string{"PORT " + text, "PORT " + strings.TrimLeft(text, "RTrt "), text} {
		_, arg, _ := strings.Cut(cand, " ")
		if ap, err := ftp.ParsePORT(strings.TrimSpace(arg)); err == nil && !analyze.ClassOf(ap.Addr()).Routable() {
			return ap.Addr().String(), true
		}
		if ap, err := ftp.ParseEPRT(strings.TrimSpace(arg)); err == nil && !analyze.ClassOf(ap.Addr()).Routable() {
			return ap.Addr().String(), true
		}
	}
	return "", false
}

// ruleRewrittenCopies: the same bytes crossed this point twice with
// different content: a box between the sender and this point rewrote them
// between the two copies. When the first copy is the unrewritten tail of a
// split PORT (its first part dropped) and the second the whole line
// rewritten, it is a NAT's helper that dropped a split command and
// recovered on the merged retransmission; otherwise it is a rewrite, said
// for what it is.
func ruleRewrittenCopies(d *run, s *SessionFacts) {
	ss := s.S
	for _, rw := range ss.Rewrites {
		if !numbersOnly(rw.Kept, rw.Other) || !addressLike(rw.Kept) && !addressLike(rw.Other) {
			continue // not what an ALG changes: a mangled capture, not a rewrite
		}
		// The copies in the order they crossed this point (the reassembly
		// keeps the one delivered first, which is not always the earlier).
		first, firstAt, second, secondAt := rw.Other, rw.OtherAt, rw.Kept, rw.KeptAt
		if rw.KeptAt.Valid() && rw.KeptAt.Time.Before(rw.OtherAt.Time) {
			first, firstAt, second, secondAt = rw.Kept, rw.KeptAt, rw.Other, rw.OtherAt
		}
		ev := []Evidence{{At: firstAt, What: fmt.Sprintf("one copy: %q", first)}}
		if secondAt.Valid() {
			ev = append(ev, Evidence{At: secondAt, What: fmt.Sprintf("the other copy: %q", second)})
		}
		sender := side(rw.FromClient)
		if t := splitCommandOf(s, rw); t != nil {
			leak := ""
			if addr, ok := privateTail(rw.Other); ok {
				leak = fmt.Sprintf(", carrying the private address %s unrewritten,", addr)
			}
			d.add(&Finding{Code: ALGMissedSplit, Severity: Warning, Session: ss, Transfers: []*analyze.Transfer{t.T}, Evidence: append(ev, t.Evidence()...),
				Summary: fmt.Sprintf("the client's %s reached this point twice: first a tail of it alone (%q, frame %d)%s after a hole where its first bytes should be, "+
					"then the whole line rewritten (\"%s\", frame %d): a box between the client and this point (a NAT's FTP helper) dropped the first part of the command split across segments "+
					"and rewrote the client's retransmission of the whole line, which the server answered (\"%s\")",
					t.N.Command, rw.Other, rw.OtherAt.Frame, leak, t.N.Line(), t.N.At.Frame, t.N.Reply),
				Advice: "It recovered after a retransmission timeout: use passive mode, or a client that writes each command in one segment, so that the helper sees whole commands."})
			continue
		}
		d.add(&Finding{Code: ALGRewrite, Severity: Info, Session: ss, Evidence: ev,
			Summary: fmt.Sprintf("the same bytes of the %s's stream crossed this point twice with different content (%q, then %q): a box between the %s and this point rewrote them",
				sender, first, second, sender),
			Advice: "If that box is a NAT's FTP helper rewriting PORT/227 lines, this is its work; compare captures on both sides of it (--point) to check the rewrite."})
	}
}

// splitCommandOf returns the active negotiation whose line a client-side
// rewrite overlaps when the differing copy came first (a tail alone,
// before the whole line): a split command recovered by a rewritten
// retransmission.
func splitCommandOf(s *SessionFacts, rw analyze.Rewrite) *TransferFacts {
	if !rw.FromClient {
		return nil
	}
	for _, t := range s.Transfers {
		n := t.N
		if n == nil || n.Mode.IsPassive() || n.Inferred != "" {
			continue
		}
		lineLen := uint32(len(n.Line()) + 2)
		if int32(rw.Seq-n.CommandSeq) >= 0 && int32(n.CommandSeq+lineLen-rw.Seq) > 0 && rw.OtherAt.Time.Before(n.At.Time) {
			return t
		}
	}
	return nil
}

// addressLike reports whether text looks like part of an address an FTP
// ALG rewrites: comma-separated numbers, or an EPRT/EPSV field.
func addressLike(s string) bool { return strings.Count(s, ",") >= 2 || strings.Contains(s, "|") }

// numbersOnly reports whether two copies differ only where an FTP ALG
// writes: digits and the separators of an address.
func numbersOnly(a, b string) bool {
	strip := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r == ',' || r == '.' || r == '|' || r == ':' {
				return -1
			}
			return r
		}, s)
	}
	return strip(a) == strip(b)
}

// splitNegotiationIn reports whether the stalled client bytes hold a PORT
// or EPRT written in several segments and never answered.
func splitNegotiationIn(ss *analyze.Session, st analyze.Stall) bool {
	for _, n := range ss.Negotiations {
		if !n.Mode.IsPassive() && n.SplitAt.Valid() && n.Reply.Code == 0 && int32(n.CommandSeq+uint32(len(n.Command))-st.Seq) >= 0 {
			return true
		}
	}
	return false
}

// partialActiveCommand reports whether stalled client text is the start
// of a PORT/EPRT/LPRT that was never completed: a strict prefix of the
// verb, or the verb with its line end missing.
func partialActiveCommand(text string) bool {
	if text == "" || strings.Contains(text, " | ") {
		return false
	}
	u := strings.ToUpper(text)
	for _, verb := range []string{"PORT", "EPRT", "LPRT"} {
		if strings.HasPrefix(verb+" ", u) || strings.HasPrefix(u, verb+" ") {
			return true
		}
	}
	return false
}

// partialCommandStall is the finding for a stall whose bytes are the start
// of an active-mode command never completed: the signature of a NAT's FTP
// helper dropping a partial command.
func partialCommandStall(s *SessionFacts, st analyze.Stall) *Finding {
	ss := s.S
	f := &Finding{Code: ALGMissedSplit, Severity: Error, Session: ss,
		Evidence: []Evidence{
			{At: st.First, What: fmt.Sprintf("the client sends %q alone", st.Text)},
			{At: st.Last, What: fmt.Sprintf("retransmitted %s, never acknowledged", times(st.Retransmissions))},
		},
		Summary: fmt.Sprintf("the client sent %q, the start of an active-mode command, alone in one TCP segment (frame %d); it was retransmitted %s and the server never acknowledged it, "+
			"and the rest of the line never followed: a NAT's FTP helper between this point and the server drops a segment holding part of a PORT, and the session stalled%s",
			st.Text, st.First.Frame, times(st.Retransmissions), endedBy(ss, true, st.Last)),
		Advice: "Use passive mode (no command to rewrite), or a client that writes each command in one segment; the Linux helper (nf_conntrack_ftp) drops a segment that holds only part of a PORT."}
	for _, t := range s.Transfers {
		if commandAtOrAfter(t.T, st.First) {
			f.Transfers = append(f.Transfers, t.T)
			t.explained = true
		}
	}
	return f
}

// commandAtOrAfter reports whether a transfer's command (or negotiation)
// was sent at or after a frame's time.
func commandAtOrAfter(t *analyze.Transfer, at analyze.Ref) bool {
	ref := t.CommandAt
	if !ref.Valid() && t.Negotiation != nil {
		ref = t.Negotiation.CommandAt
	}
	return ref.Valid() && !ref.Time.Before(at.Time)
}

// endedBy says how a session ended, as "; then ..." for what came after
// the finding's last event (after), "; before that, ..." for what came
// earlier, or ""; withClosing includes an unsolicited 421.
func endedBy(ss *analyze.Session, withClosing bool, after analyze.Ref) string {
	// What came after the finding's last event follows it ("then"); what
	// came before is said as such.
	var then, before []string
	put := func(at analyze.Ref, s string) {
		if after.Valid() && at.Valid() && at.Time.Before(after.Time) {
			before = append(before, s)
		} else {
			then = append(then, s)
		}
	}
	if withClosing && ss.Closing.Code != 0 {
		put(ss.Closing.At, fmt.Sprintf("the server sent \"%s\" (frame %d)", ss.Closing, ss.Closing.At.Frame))
	}
	switch {
	case ss.Closed == "rst" && ss.ClosedBy != "":
		put(ss.ClosedAt, fmt.Sprintf("the %s reset the connection (frame %d)", ss.ClosedBy, ss.ClosedAt.Frame))
	case ss.ClosedBy != "":
		put(ss.ClosedAt, fmt.Sprintf("the %s closed the connection (frame %d)", ss.ClosedBy, ss.ClosedAt.Frame))
	case ss.Closed == "":
		then = append(then, "the capture ends with the session still open")
	}
	var out string
	if len(before) > 0 {
		out += "; before that, " + strings.Join(before, ", and ")
	}
	if len(then) > 0 {
		out += "; then " + strings.Join(then, ", and ")
	}
	return out
}

// lastAt is the latest frame of evidence.
func lastAt(ev []Evidence) analyze.Ref {
	var last analyze.Ref
	for _, e := range ev {
		if !last.Valid() || e.At.Time.After(last.Time) {
			last = e.At
		}
	}
	return last
}

// ruleServerClosed: the server sent 421 on its own (an idle timeout, a
// shutdown): not the reply to a command, since the server never
// acknowledged the command waiting (or none was). An error when the
// client's command was left unanswered, a warning otherwise.
func ruleServerClosed(d *run, s *SessionFacts) {
	ss := s.S
	if ss.Closing.Code == 0 {
		return
	}
	f := &Finding{Code: ServerClosed, Severity: Warning, Session: ss,
		Evidence: []Evidence{{At: ss.Closing.At, What: ss.Closing.String()}}}
	idle, pause := "", ""
	if last, ok := lastReadLineBefore(ss, ss.Closing.At); ok {
		f.Evidence = append(f.Evidence, Evidence{At: last.At, What: "the client's last line before it: " + last.Text})
		quiet := ss.Closing.At.Time.Sub(last.At.Time).Round(time.Millisecond)
		idle = fmt.Sprintf(", %s after the client's last command (%s, frame %d)", quiet, last.Text, last.At.Frame)
		pause = fmt.Sprintf(" (here the client sent nothing for %s before it)", quiet)
	}
	var late []string
	for _, c := range ss.Unanswered {
		f.Evidence = append(f.Evidence, Evidence{At: c.At, What: strings.TrimSpace(c.Verb+" "+c.Arg) + ": never answered"})
		late = append(late, fmt.Sprintf("%s (frame %d)", c.Verb, c.At.Frame))
	}
	f.Summary = fmt.Sprintf("the server ended the session on its own with \"%s\" (frame %d)%s, which answers no command%s", ss.Closing, ss.Closing.At.Frame, idle, endedBy(ss, false, ss.Closing.At))
	if len(late) > 0 {
		f.Severity = Error
		f.Summary += fmt.Sprintf("; the client's %s never got an answer", strings.Join(late, ", "))
	}
	f.Advice = "If the server timed the session out, raise its idle timeout (vsftpd idle_session_timeout, proftpd TimeoutIdle, pure-ftpd -I) above the client's pauses" + pause +
		" or have the client send NOOP while idle, and make the client reconnect when it finds the session closed. " +
		"A 421 that answers no command is an idle timeout, a shutdown or a limit of the server: its log says which."
	for _, t := range s.Transfers {
		if t.T.Final.Code == 0 && (unanswered(ss, t.T.CommandAt) || t.N != nil && unanswered(ss, t.N.CommandAt) || commandAtOrAfter(t.T, ss.Closing.At)) {
			f.Transfers = append(f.Transfers, t.T)
			t.explained = true
		}
	}
	d.add(f)
}

// unanswered reports whether the command at frame at was left unanswered.
func unanswered(ss *analyze.Session, at analyze.Ref) bool {
	if !at.Valid() {
		return false
	}
	for _, c := range ss.Unanswered {
		if c.At == at {
			return true
		}
	}
	return false
}

// lastReadLineBefore returns the client's last line before at that the
// server read (not one left unanswered): where the idle time starts.
func lastReadLineBefore(ss *analyze.Session, at analyze.Ref) (analyze.Line, bool) {
	var out analyze.Line
	ok := false
	for _, l := range ss.Lines {
		if l.FromClient && l.At.Time.Before(at.Time) && !unanswered(ss, l.At) {
			out, ok = l, true
		}
	}
	return out, ok
}
