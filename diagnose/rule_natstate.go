package diagnose

import (
	"fmt"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// minStateQuiet is the shortest control-connection silence during a
// transfer after which a lost final reply is read as state forgotten on
// the way (shorter silences are ordinary).
const minStateQuiet = time.Second

// minResendWait is how long after the client's FIN a resend (or later
// packet) of the client must come for the FIN to count as unanswered.
const minResendWait = 150 * time.Millisecond

// ruleControlStateLost: the control connection carried nothing while a
// data connection ran, and then it broke as a NAT or firewall that forgot
// the idle connection breaks it: the server's final reply, its first
// packet after the silence, is answered by a reset in the client's name
// from a box nearer than the client (seen between the box and the
// server); or, seen on the client's side, the data connection ended, the
// final reply never came, and the client's closing got no answer at all,
// not even the server host's TCP acknowledgement.
func ruleControlStateLost(d *run, s *SessionFacts) {
	ss := s.S
	if !ss.QuietTo.Valid() || ss.Closing.Code != 0 {
		return
	}
	quiet := ss.QuietTo.Time.Sub(ss.QuietFrom.Time)
	if quiet < minStateQuiet {
		return
	}
	for _, t := range s.Transfers {
		dc := t.DC
		if dc == nil || t.State != analyze.Established || t.T.Prelim.Code != 125 && t.T.Prelim.Code != 150 {
			continue
		}
		// the data connection ran during the silence
		if !dc.Last.Valid() || dc.Last.Time.Before(ss.QuietFrom.Time) || dc.First.Time.After(ss.QuietTo.Time) {
			continue
		}
		var f *Finding
		if t.T.Final.Code != 0 {
			f = stateLostReset(s, t, quiet)
		} else {
			f = stateLostSilent(s, t, quiet)
		}
		if f != nil {
			d.add(f)
			t.explained = true
			return
		}
	}
}

// silenceWords says how long the control connection was silent and that
// the data connection ran meanwhile.
func silenceWords(s *SessionFacts, t *TransferFacts, quiet time.Duration) string {
	ss, dc := s.S, t.DC
	return fmt.Sprintf("%s: the control connection carried nothing either way for %s (after frame %d) while the data connection ran (it carried %d bytes)",
		t.What, quiet.Round(time.Millisecond), ss.QuietFrom.Frame, dc.Bytes())
}

// stateAdvice is the fix: keep the state alive, or keep it longer; then
// what the packets say of the box's timeout.
func stateAdvice(timeout string) string {
	return "Keep the control connection known to every NAT and firewall on the way while the data flows: have the client send TCP keepalives on it more often than the box's idle timeout " +
		"(curl: --keepalive-time SECONDS, 60 s by default), or raise the box's idle timeout for established TCP connections " +
		"(Linux conntrack: net.netfilter.nf_conntrack_tcp_timeout_established, 432000 s by default, or an nftables ct timeout policy that shortens it for some ports). " + timeout
}

// stateLostReset: the final reply ended the silence and a reset in the
// client's name answered it, from nearer than the client.
func stateLostReset(s *SessionFacts, t *TransferFacts, quiet time.Duration) *Finding {
	ss := s.S
	fin := t.T.Final
	if fin.At.Frame != ss.QuietTo.Frame || !ss.Reset.Valid() || !ss.ResetFromClient || ss.ResetTTL == 0 || s.ClientHops < 0 {
		return nil
	}
	if ss.Reset.Time.Before(fin.At.Time) || ss.Reset.Time.Sub(fin.At.Time) > time.Second {
		return nil
	}
	for _, l := range ss.Lines {
		if l.FromClient && l.At.Time.After(fin.At.Time) && l.At.Time.Before(ss.Reset.Time) {
			return nil // the client spoke between: the reset is its own
		}
	}
	rstHops := analyze.HopsFromTTL(ss.ResetTTL)
	if rstHops >= s.ClientHops {
		return nil // as far as the client: this point cannot tell it from the client's own reset
	}
	ttl := ttlWord(ss.Client.Addr().Is6())
	f := &Finding{Code: ControlStateLost, Severity: Error, Session: ss, Transfers: []*analyze.Transfer{t.T}}
	f.Evidence = append(t.Evidence(), Evidence{At: ss.QuietFrom, What: "the control connection's last packet before the silence"},
		Evidence{At: ss.Reset, What: fmt.Sprintf("RST with the client's address %s, %s %d", ss.Client, ttl, ss.ResetTTL)})
	sortEvidence(f.Evidence)
	box := fmt.Sprintf("a box %s, %s short of the client", hopsAway(rstHops), plural(s.ClientHops-rstHops, "hop", "hops"))
	f.Summary = silenceWords(s, t, quiet) + fmt.Sprintf("; the server's \"%s\" (frame %d), its first packet after the silence, was answered by a reset with the client's address %s (frame %d) that came %s, while the client's own packets come %s: "+
		"%s (the client's NAT or firewall) no longer knew the connection when the reply came, %s into the silence, and answered it itself with a reset in the client's name: the client most likely never got the %d",
		fin, fin.At.Frame, ss.Client, ss.Reset.Frame, cameFrom(rstHops, ttl, ss.ResetTTL), cameFrom(s.ClientHops, ttl, ss.ClientTTL),
		box, quiet.Round(time.Millisecond), fin.Code)
	f.Advice = stateAdvice(fmt.Sprintf("Here the box forgot the connection within %s of silence (its idle timeout is at most that).", quiet.Round(time.Millisecond)))
	return f
}

// stateLostSilent: the data connection ended inside the silence, the final
// reply never came, and the client's closing went unanswered.
func stateLostSilent(s *SessionFacts, t *TransferFacts, quiet time.Duration) *Finding {
	ss, dc := s.S, t.DC
	end := dc.FIN
	if !end.Valid() || end.Time.Before(ss.QuietFrom.Time) || end.Time.After(ss.QuietTo.Time) {
		return nil
	}
	if ss.ClosedBy != "client" || ss.ClosedAt.Frame != ss.QuietTo.Frame || ss.LastFromServer.Time.After(ss.QuietFrom.Time) {
		return nil
	}
	waited := ss.QuietTo.Time.Sub(end.Time)
	if waited < minStateQuiet {
		return nil
	}
	// the client resent (its FIN went unacknowledged): not a capture that
	// merely ended before the answer
	if ss.LastFromClient.Frame == ss.ClosedAt.Frame || ss.LastFromClient.Time.Sub(ss.ClosedAt.Time) < minResendWait {
		return nil
	}
	idle := end.Time.Sub(ss.QuietFrom.Time)
	f := &Finding{Code: ControlStateLost, Severity: Error, Session: ss, Transfers: []*analyze.Transfer{t.T}}
	f.Evidence = append(t.Evidence(), Evidence{At: ss.QuietFrom, What: "the control connection's last packet before the silence"},
		Evidence{At: end, What: "the data connection's first FIN"},
		Evidence{At: ss.ClosedAt, What: "the client closes the control connection: no answer"})
	sortEvidence(f.Evidence)
	f.Summary = silenceWords(s, t, quiet) + fmt.Sprintf("; the data connection ended (FIN, frame %d) after %s of that silence, and the server's final reply never came here: "+
		"%s later the client closed the control connection (frame %d), and its FIN, resent up to frame %d, got no answer at all, not even the server host's TCP acknowledgement. "+
		"The path dropped the control connection's packets after the silence, as a NAT or firewall that forgot the idle connection does; this point cannot see where",
		end.Frame, idle.Round(time.Millisecond), waited.Round(time.Millisecond), ss.ClosedAt.Frame, ss.LastFromClient.Frame)
	f.Advice = stateAdvice(fmt.Sprintf("The connection had been silent %s when the data connection ended; a capture outside the client's NAT shows whether the server sent its final reply and who answered it.", idle.Round(time.Millisecond)))
	return f
}
