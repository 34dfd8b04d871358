package diagnose

import (
	"fmt"
	"strings"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// ruleCaptureGap: bytes of the control stream are missing from the
// capture although the receiver acknowledged them: they crossed the
// network but not the capture, so conclusions about what was said there
// may be incomplete. Holes the receiver never acknowledged are not the
// capture's doing: ruleLostBytes reads those; only when the capture ends
// before the receiver said anything after them can this point not tell,
// and that is said here.
func ruleCaptureGap(d *run, s *SessionFacts) {
	ss := s.S
	acked, ackedBytes := ss.Gaps-ss.UnackedGaps, ss.MissingBytes-ss.UnackedBytes
	var unknown []analyze.Hole
	for _, h := range ss.Lost {
		if !h.ReceiverAlive {
			unknown = append(unknown, h)
		}
	}
	if acked <= 0 && len(unknown) == 0 {
		return
	}
	f := &Finding{Code: CaptureGap, Severity: Warning, Session: ss}
	var parts []string
	if acked > 0 {
		parts = append(parts, fmt.Sprintf("%d bytes of the control connection %s → %s are missing from the capture (%s) although the receiver acknowledged them: the capture missed them, not the network",
			ackedBytes, ss.Client, ss.Server, plural(acked, "hole", "holes")))
		if ss.GapAt.Valid() {
			f.Evidence = append(f.Evidence, Evidence{At: ss.GapAt, What: "the segment after the first missing bytes"})
		}
		f.Advice = "Capture with a larger buffer (tcpdump -B 8192), write to a fast disk, or filter to the FTP hosts."
		if ss.SnapCut > 0 {
			parts[len(parts)-1] += fmt.Sprintf(" (the snap length cut %s of this connection, the first at frame %d)", plural(ss.SnapCut, "segment", "segments"), ss.SnapCutAt.Frame)
			f.Evidence = append(f.Evidence, Evidence{At: ss.SnapCutAt, What: "a segment cut by the snap length"})
			f.Advice = "Capture whole packets (tcpdump -s 0; the default of old tcpdump versions and some tools' \"headers only\" settings cut them)."
		}
	}
	for _, h := range unknown {
		parts = append(parts, fmt.Sprintf("%d bytes from the %s are missing before frame %d, and the capture ends before the %s acknowledged anything after them: this point cannot tell whether the capture or the network lost them",
			h.Bytes, side(h.FromClient), h.After.Frame, side(!h.FromClient)))
		f.Evidence = append(f.Evidence, Evidence{At: h.After, What: "the segment after the missing bytes"})
		if f.Advice == "" {
			f.Advice = "Capture for longer after the problem, so the receiver's acknowledgements show whether it got these bytes."
		}
	}
	f.Summary = strings.Join(parts, "; ") + ": conclusions about what was said there may be incomplete"
	d.add(f)
}

// side names the client or the server.
func side(client bool) string {
	if client {
		return "client"
	}
	return "server"
}

// ruleCleartextCredentials: a non-guest login sent its password in clear
// text. One finding per user and server at a capture point.
func ruleCleartextCredentials(d *run, s *SessionFacts) {
	ss := s.S
	if !ss.PasswordAt.Valid() || isGuest(ss.User) {
		return
	}
	// Every session with a password comes here: the finding's key is the
	// tail of the once-per-point key, one string.
	server := ss.Server.String()
	once := string(CleartextCredentials) + " " + ss.User + "@" + server
	if !d.firstTime(once) {
		return // said at this point already, with an earlier session
	}
	d.add(&Finding{Code: CleartextCredentials, Severity: Info, Session: ss, key: once[len(CleartextCredentials)+1:],
		Summary:  "user \"" + ss.User + "\" sent its password in clear text to " + server,
		Evidence: []Evidence{{At: ss.PasswordAt, What: "PASS (redacted)"}},
		Advice:   "Use FTPS (AUTH TLS) or SFTP; anyone on the path can read this password."})
}

func isGuest(user string) bool {
	switch strings.ToLower(user) {
	case "anonymous", "ftp", "guest", "":
		return true
	}
	return false
}

// ruleTLSBlindALG: the control channel is encrypted while a NAT is in
// sight (the two control addresses are of different kinds), so no NAT's
// FTP helper can read or rewrite a PORT or 227 in it, nor open the way for
// the data connection. It is as severe as the outcome: an error when a
// data connection between the two hosts failed, info when every one
// worked, a warning when none was seen here. Without a NAT in sight the
// encryption explains nothing, and there is no finding.
func ruleTLSBlindALG(d *run, s *SessionFacts) {
	ss := s.S
	if !ss.TLS || ss.TLSEnded || !s.NATInSight {
		return
	}
	var worked, failed int
	passive, active := false, false
	var ev []Evidence
	ev = append(ev, Evidence{At: ss.TLSAt, What: "TLS starts on the control channel"})
	for _, t := range s.Transfers {
		if t.N == nil {
			continue
		}
		if t.Opener == "client" {
			passive = true
		} else {
			active = true
		}
		switch {
		case t.DC != nil && t.State == analyze.Established:
			worked++
		case t.DC != nil, t.failed:
			failed++
			ev = append(ev, t.Evidence()...)
		}
	}
	f := &Finding{Code: TLSBlindALG, Session: ss, Evidence: ev}
	for _, t := range s.Transfers {
		if t.DC != nil && t.State != analyze.Established {
			f.Transfers = append(f.Transfers, t.T)
			t.explained = true
		}
	}
	where := fmt.Sprintf("the control channel between %s (%s) and %s (%s) is encrypted from frame %d on, and a NAT usually sits between addresses of these kinds",
		ss.Client.Addr(), s.ClientClass, ss.Server.Addr(), s.ServerClass, ss.TLSAt.Frame)
	switch {
	case failed > 0:
		f.Severity = Error
		f.Summary = where + fmt.Sprintf(": no FTP helper can read or rewrite the encrypted PORT/227 lines, and %s between the two hosts failed", plural(failed, "data connection", "data connections"))
	case worked > 0:
		f.Severity = Info
		all := "the one data connection seen here worked"
		if worked > 1 {
			all = fmt.Sprintf("all %d data connections seen here worked", worked)
		}
		f.Summary = where + ": no FTP helper can read the encrypted lines, but " + all
	default:
		f.Severity = Warning
		f.Summary = where + ": no FTP helper can read or rewrite the encrypted PORT/227 lines, and no data connection between the two hosts was seen here to tell whether transfers worked"
	}
	switch {
	case active && !passive:
		f.Advice = "Use passive mode: an active-mode data connection cannot cross a NAT whose helper cannot read the PORT. "
	case passive:
		f.Advice = "Passive mode is in use; it crosses the NAT only if the server's 227 carries its public address and its passive port range is forwarded and open. "
	default:
		f.Advice = "The mode is not visible here. Active mode (PORT) cannot cross a NAT whose helper cannot read the PORT; passive mode crosses it only if the server's 227 carries its public address and its passive port range is forwarded and open. "
	}
	f.Advice += "Configure the server's public address for passive replies (vsftpd pasv_address, proftpd MasqueradeAddress, pure-ftpd -P) " +
		"and forward and open its passive port range (vsftpd pasv_min_port/pasv_max_port). Some servers allow CCC after login, which returns the control channel to clear text so a helper can follow it."
	d.add(f)
}

// times says "once", "twice" or "3 times".
func times(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return fmt.Sprintf("%d times", n)
}

// plural says "1 hole" or "3 holes".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
