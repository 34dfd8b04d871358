package diagnose

import (
	"fmt"
	"strings"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// ruleControlNeverStarted: the control connection's SYN was never
// answered, or was refused by a reset or an ICMP error, so no session
// began. One finding per server and code: a client retrying makes one.
func ruleControlNeverStarted(d *run, s *SessionFacts) {
	ss := s.S
	o := &ss.Opening
	if !o.SYN.Valid() || o.SYNACK.Valid() || ss.Replies > 0 || ss.Commands > 0 {
		return
	}
	f := &Finding{Session: ss, Severity: Error, key: ss.Server.String(),
		Evidence: []Evidence{{At: o.SYN, What: fmt.Sprintf("SYN %s → %s", ss.Client, ss.Server)}}}
	ttl := ttlWord(ss.Server.Addr().Is6())
	switch o.State() {
	case analyze.Refused:
		f.Code = ControlRefused
		f.Evidence = append(f.Evidence, Evidence{At: o.RST, What: fmt.Sprintf("RST from %s", ss.Server)})
		from := ""
		if o.RSTTTL != 0 {
			from = fmt.Sprintf(" from %s away (%s %d)", hops(analyze.HopsFromTTL(o.RSTTTL)), ttl, o.RSTTTL)
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
		f.Summary = fmt.Sprintf("the client %s's control connection to %s was never answered (SYN sent %d times): it was dropped %s, or the server is down; no FTP session began",
			ss.Client.Addr(), ss.Server, 1+len(o.SYNRetries), where)
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
			sender, what, st.First.Frame, times(st.Retransmissions), receiver, receiver, endedBy(ss, true))
		f.Advice = fmt.Sprintf("Something between this point and %s drops these bytes: look for a firewall or an FTP helper (ALG) on the path that inspects the control connection "+
			"(a capture nearer %s shows where they stop). Retransmissions of the same bytes that never arrive point at a filter, not at congestion.", receiver, receiver)
		for _, t := range s.Transfers {
			if commandAtOrAfter(t.T, st.First) {
				f.Transfers = append(f.Transfers, t.T)
				s.explained[t.T] = true
			}
		}
		d.add(f)
	}
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
			st.Text, st.First.Frame, times(st.Retransmissions), endedBy(ss, true)),
		Advice: "Use passive mode (no command to rewrite), or a client that writes each command in one segment; the Linux helper (nf_conntrack_ftp) drops a segment that holds only part of a PORT."}
	for _, t := range s.Transfers {
		if commandAtOrAfter(t.T, st.First) {
			f.Transfers = append(f.Transfers, t.T)
			s.explained[t.T] = true
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

// endedBy says how a session ended, as "; then ...", or "";
// withClosing includes an unsolicited 421.
func endedBy(ss *analyze.Session, withClosing bool) string {
	var parts []string
	if withClosing && ss.Closing.Code != 0 {
		parts = append(parts, fmt.Sprintf("the server sent \"%s\" (frame %d)", ss.Closing, ss.Closing.At.Frame))
	}
	switch {
	case ss.Closed == "rst" && ss.ClosedBy != "":
		parts = append(parts, fmt.Sprintf("the %s reset the connection (frame %d)", ss.ClosedBy, ss.ClosedAt.Frame))
	case ss.ClosedBy != "":
		parts = append(parts, fmt.Sprintf("the %s closed the connection (frame %d)", ss.ClosedBy, ss.ClosedAt.Frame))
	case ss.Closed == "":
		parts = append(parts, "the capture ends with the session still open")
	}
	if len(parts) == 0 {
		return ""
	}
	return "; then " + strings.Join(parts, ", and ")
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
	idle := ""
	if last, ok := lastClientLineBefore(ss, ss.Closing.At); ok {
		f.Evidence = append(f.Evidence, Evidence{At: last.At, What: "the client's last line before it: " + last.Text})
		idle = fmt.Sprintf(", %s after the client's last command (%s, frame %d)", ss.Closing.At.Time.Sub(last.At.Time).Round(time.Millisecond), last.Text, last.At.Frame)
	}
	var late []string
	for _, c := range ss.Unanswered {
		f.Evidence = append(f.Evidence, Evidence{At: c.At, What: strings.TrimSpace(c.Verb+" "+c.Arg) + ": never answered"})
		late = append(late, fmt.Sprintf("%s (frame %d)", c.Verb, c.At.Frame))
	}
	f.Summary = fmt.Sprintf("the server ended the session on its own with \"%s\" (frame %d)%s, which answers no command%s", ss.Closing, ss.Closing.At.Frame, idle, endedBy(ss, false))
	if len(late) > 0 {
		f.Severity = Error
		f.Summary += fmt.Sprintf("; the client's %s never got an answer", strings.Join(late, ", "))
	}
	f.Advice = "A 421 with no command waiting is the server's idle timeout or a shutdown. If the client was idle, raise the server's idle timeout " +
		"(vsftpd idle_session_timeout, proftpd TimeoutIdle, pure-ftpd -I) or have the client send NOOP while idle, and make the client reconnect when it finds the session closed."
	for _, t := range s.Transfers {
		if !t.T.Final.At.Valid() && commandAtOrAfter(t.T, ss.Closing.At) || t.T.Final.Code == 0 && len(late) > 0 && t.DC != nil {
			f.Transfers = append(f.Transfers, t.T)
			s.explained[t.T] = true
		}
	}
	d.add(f)
}

// lastClientLineBefore returns the client's last line before at.
func lastClientLineBefore(ss *analyze.Session, at analyze.Ref) (analyze.Line, bool) {
	var out analyze.Line
	ok := false
	for _, l := range ss.Lines {
		if l.FromClient && l.At.Time.Before(at.Time) {
			out, ok = l, true
		}
	}
	return out, ok
}
