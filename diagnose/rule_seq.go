package diagnose

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// ruleControlSeqMismatch: one side's segments carry sequence numbers
// below what the other end had already acknowledged of it. No TCP stack
// does that (a keepalive or window probe, one byte below, is not
// counted): the two ends count that side's bytes differently, which is
// what a box does that changes a line's length (an FTP helper rewriting
// PORT or 227) without shifting the later sequence and acknowledgement
// numbers. The point says what it sees:
//
//   - the acknowledgement covers bytes this point never saw the side send
//     (Unseen > 0): the box that changed the length lies between this
//     point and the acknowledging end;
//   - the point saw every acknowledged byte, and the side's later segments
//     start below them: the box lies between the side and this point.
//
// A capture that began mid-stream or missed bytes of the control stream
// cannot count either side's bytes: the rule says nothing there.
//
// The receiver's bytes the behind side then never acknowledges are this,
// not a loss: ruleControlStalled leaves them to this finding.
func ruleControlSeqMismatch(d *run, s *SessionFacts) {
	ss := s.S
	if ss.MidStream || ss.Gaps > 0 {
		return // a capture that missed bytes or began mid-stream cannot count them
	}
	for _, m := range ss.SeqMismatches {
		who, other := side(m.FromClient), side(!m.FromClient)
		line, lineAt := lineBefore(ss, m)
		f := &Finding{Code: ControlSeqMismatch, Severity: Error, Session: ss,
			Evidence: []Evidence{
				{At: m.AckAt, What: fmt.Sprintf("the %s acknowledges the %s's bytes up to %d", other, who, m.Acked)},
				{At: m.At, What: fmt.Sprintf("the %s's segment at %d, %d bytes below that", who, m.Seq, m.Behind)},
			}}
		if lineAt.Valid() {
			f.Evidence = append([]Evidence{{At: lineAt, What: "the " + who + "'s " + line}}, f.Evidence...)
		}
		var b strings.Builder
		if lineAt.Valid() {
			fmt.Fprintf(&b, "after the %s's %s (frame %d), ", who, line, lineAt.Frame)
		}
		if m.Unseen > 0 {
			fmt.Fprintf(&b, "the %s acknowledged %d bytes more than the %s sent as seen here (frame %d acknowledges up to %d; the %s's bytes end at %d), "+
				"and the %s's own segments stay %d bytes below that (frame %d, %s in all)",
				other, m.Unseen, who, m.AckAt.Frame, m.Acked, who, m.SentEnd, who, m.Behind, m.At.Frame, segments(m.Segments))
		} else {
			fmt.Fprintf(&b, "the %s's segments from frame %d on start %d bytes below what the %s had already acknowledged of its bytes (up to %d, frame %d), "+
				"all of which this point saw it send (%s in all)",
				who, m.At.Frame, m.Behind, other, m.Acked, m.AckAt.Frame, segments(m.Segments))
		}
		fmt.Fprintf(&b, ". No TCP stack sends below what its peer acknowledged: the two ends count the %s's bytes %d apart. ", who, m.Behind)
		if m.Unseen > 0 {
			fmt.Fprintf(&b, "A box between this point and the %s changed the length of the %s's stream without shifting the later sequence and acknowledgement numbers", other, who)
		} else {
			fmt.Fprintf(&b, "A box between the %s and this point changed the length of the %s's stream without shifting its later sequence numbers", who, who)
		}
		if st, ok := stallOf(ss, !m.FromClient); ok {
			fmt.Fprintf(&b, "; the %s never acknowledged the %s's %d bytes sent since (frame %d, resent %s): their acknowledgement field covers bytes it never sent, and TCP drops such segments",
				who, other, st.Bytes, st.First.Frame, times(st.Retransmissions))
		}
		if m.Overlap.Valid() {
			fmt.Fprintf(&b, "; the %s's next bytes (frame %d) start inside bytes the %s already acknowledged, so the %s reads the rest of the %s's line cut", who, m.Overlap.Frame, other, other, who)
			if m.FromClient {
				if l, ok := cutAnswer(ss, m.Overlap, analyze.Ref{}); ok {
					fmt.Fprintf(&b, "; it answered \"%s\" (frame %d)", l.Text, l.At.Frame)
					f.Evidence = append(f.Evidence, Evidence{At: l.At, What: l.Text})
				}
			}
		}
		f.Summary = b.String() + endedBy(ss, true, lastAt(f.Evidence))
		f.Advice = "Find the box that rewrites the control connection (an FTP helper/ALG on a router or firewall) and fix or disable it: a rewrite that changes a line's length must shift every later sequence and acknowledgement number " +
			"(the Linux helper does). Passive mode with the server's address configured needs no rewrite on the client's side."
		for _, t := range s.Transfers {
			if lineAt.Valid() && commandAtOrAfter(t.T, lineAt) && !t.explained {
				f.Transfers = append(f.Transfers, t.T)
				t.explained = true
			}
		}
		d.add(f)
	}
	for _, rw := range ss.Rewrites {
		if slices.ContainsFunc(ss.SeqMismatches, func(m analyze.SeqMismatch) bool { return m.FromClient && m.Overlap.Valid() }) {
			break // the same overlap, told above from the server's acknowledgement
		}
		if f := lengthenedLineOverlap(s, rw); f != nil {
			d.add(f)
		}
	}
}

// cutAnswer is the server's first error reply after a client line that
// reached it cut (skip: the reply to the line before it).
func cutAnswer(ss *analyze.Session, after, skip analyze.Ref) (analyze.Line, bool) {
	for _, l := range ss.Lines {
		if !l.FromClient && l.At.Time.After(after.Time) && strings.HasPrefix(l.Text, "5") && l.At.Frame != skip.Frame {
			return l, true
		}
	}
	return analyze.Line{}, false
}

// lengthenedLineOverlap: the client's next segment starts inside the end
// of an active negotiation's line as it crossed this point, with other
// bytes there. The client counts its bytes fewer than the line that
// crossed here: a box between the client and this point lengthened the
// line without shifting the client's later sequence numbers. Seen when
// the client sent its next command before the server's acknowledgement of
// the line came back (a pipelining client); the server then takes the
// first bytes of that command for ones it already has.
func lengthenedLineOverlap(s *SessionFacts, rw analyze.Rewrite) *Finding {
	ss := s.S
	if !rw.FromClient || numbersOnly(rw.Kept, rw.Other) {
		return nil
	}
	for _, t := range s.Transfers {
		n := t.N
		if n == nil || n.Mode.IsPassive() || n.Inferred != "" || !n.At.Valid() {
			continue
		}
		end := n.CommandSeq + uint32(len(n.Line())+2)
		behind := int32(end - rw.Seq)
		if int32(rw.Seq-n.CommandSeq) < 0 || behind <= 1 || !rw.OtherAt.Valid() || !rw.OtherAt.Time.After(n.At.Time) {
			continue
		}
		f := &Finding{Code: ControlSeqMismatch, Severity: Error, Session: ss, Transfers: []*analyze.Transfer{t.T},
			Evidence: []Evidence{{At: n.At, What: "the client's " + n.Line() + " as it crossed this point"},
				{At: rw.OtherAt, What: fmt.Sprintf("the client's next segment, %d bytes inside that line: %q", behind, rw.Other)}}}
		f.Summary = fmt.Sprintf("after the client's %s (frame %d), its next segment (frame %d) starts %d bytes before the end of that line as it crossed this point, and carries other bytes there "+
			"(%q over the line's last %d bytes, %q%s): the client counts its own bytes %d fewer than the line that crossed here. No TCP stack sends new bytes over ones it already sent: "+
			"a box between the client and this point changed the %s's length (it crossed here as \"%s\") without shifting the client's later sequence numbers. "+
			"The server takes those %d bytes for ones it already has and reads the rest of the client's line cut",
			n.Command, n.At.Frame, rw.OtherAt.Frame, behind, rw.Other, behind, rw.Kept, lineEndWord(len(rw.Kept), int(behind)), behind, n.Command, n.Line(), behind)
		if l, ok := cutAnswer(ss, rw.OtherAt, n.Reply.At); ok {
			f.Summary += fmt.Sprintf("; it answered \"%s\" (frame %d)", l.Text, l.At.Frame)
			f.Evidence = append(f.Evidence, Evidence{At: l.At, What: l.Text})
		}
		f.Summary += endedBy(ss, true, lastAt(f.Evidence))
		f.Advice = "Find the box that rewrites the control connection (an FTP helper/ALG on the client's NAT or firewall) and fix or disable it: a rewrite that changes a line's length must shift every later " +
			"sequence and acknowledgement number (the Linux helper does). Passive mode with the server's address configured needs no rewrite on the client's side."
		t.explained = true
		return f
	}
	return nil
}

// lineEndWord names what of a line's end a quoted copy leaves out: its
// CRLF, which the cleaned text drops.
func lineEndWord(quoted, behind int) string {
	if quoted < behind {
		return " and its line end"
	}
	return ""
}

// lineBefore is the side's last line that starts before the mismatch: the
// line whose length changed, as far as this point can tell.
func lineBefore(ss *analyze.Session, m analyze.SeqMismatch) (string, analyze.Ref) {
	text, at := "", analyze.Ref{}
	for _, l := range ss.Lines {
		if l.FromClient == m.FromClient && int32(m.Seq-l.Seq) > 0 {
			text, at = l.Text, l.At
		}
	}
	if !m.FromClient && len(text) > 40 {
		text = text[:40] + "..."
	}
	if text == "" {
		return "", at
	}
	if m.FromClient {
		verb, _, _ := strings.Cut(text, " ")
		return strings.ToUpper(verb), at
	}
	return "reply \"" + text + "\"", at
}

// seqMismatchExplains says whether a stall is the receiver's side of a
// sequence mismatch: bytes the behind side never acknowledges because
// their acknowledgement field covers bytes it never sent.
func seqMismatchExplains(ss *analyze.Session, st analyze.Stall) bool {
	if ss.MidStream || ss.Gaps > 0 {
		return false
	}
	for _, m := range ss.SeqMismatches {
		if m.FromClient != st.FromClient {
			return true
		}
	}
	return false
}

// stallOf is the session's stall of one direction.
func stallOf(ss *analyze.Session, fromClient bool) (analyze.Stall, bool) {
	for _, st := range ss.Stalls {
		if st.FromClient == fromClient {
			return st, true
		}
	}
	return analyze.Stall{}, false
}

func segments(n int) string {
	if n == 1 {
		return "1 segment"
	}
	return fmt.Sprintf("%d segments", n)
}
