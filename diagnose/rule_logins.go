package diagnose

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// loginFailuresMin is how many failed logins to one server make a finding.
const loginFailuresMin = 5

// maxLoginServers and maxLoginNames bound what the login audit keeps.
const (
	maxLoginServers = 4096
	maxLoginNames   = 16
)

// loginTally counts the login attempts to one server across sessions.
type loginTally struct {
	server          netip.AddrPort
	failed, ok      int
	clients         []netip.Addr // distinct, at most maxLoginNames; put in words only by a finding
	users           []string     // distinct, at most maxLoginNames
	moreC, moreU    bool
	first, last     analyze.Ref
	firstOK         loginSeen
	lastFailure     loginSeen
	lastFailSession *analyze.Session
}

// loginSeen is what the audit quotes of one login (an analyze.Login
// without the reply's line count and frame): a tally keeps two, and the
// audit a tally per server.
type loginSeen struct {
	User      string
	At        analyze.Ref
	replyCode int
	replyText string
}

func seenLogin(l analyze.Login) loginSeen {
	return loginSeen{User: l.User, At: l.At, replyCode: l.Reply.Code, replyText: l.Reply.Text}
}

// reply is the server's answer, as analyze.Reply.String says it.
func (l loginSeen) reply() string {
	return analyze.Reply{Code: l.replyCode, Text: l.replyText}.String()
}

// tallyLogins adds a session's login attempts to the audit.
func (d *Diagnoser) tallyLogins(s *analyze.Session) {
	for _, l := range s.Logins {
		failed := l.Reply.Code >= 500 || l.Reply.Code == 421
		if !failed && l.Reply.Code != 230 {
			continue
		}
		lt := d.logins[s.Server]
		if lt == nil {
			if len(d.logins) >= maxLoginServers {
				continue
			}
			lt = &loginTally{server: s.Server, first: l.At}
			d.logins[s.Server] = lt
		}
		lt.last = l.At
		lt.clients, lt.moreC = addName(lt.clients, lt.moreC, s.Client.Addr())
		lt.users, lt.moreU = addName(lt.users, lt.moreU, l.User)
		if failed {
			lt.failed++
			lt.lastFailure, lt.lastFailSession = seenLogin(l), s
		} else {
			if lt.ok == 0 {
				lt.firstOK = seenLogin(l)
			}
			lt.ok++
		}
	}
}

func addName[T comparable](list []T, more bool, name T) ([]T, bool) {
	if slices.Contains(list, name) {
		return list, more
	}
	if len(list) >= maxLoginNames {
		return list, true
	}
	return append(list, name), more
}

// loginFailureFindings: failed logins in bulk to one server are one
// finding: how many, from which clients, for which users, over how long,
// and whether any succeeded (the credentials a guesser found).
func (d *Diagnoser) loginFailureFindings() []*Finding {
	var out []*Finding
	servers := make([]netip.AddrPort, 0, len(d.logins))
	for k := range d.logins {
		servers = append(servers, k)
	}
	slices.SortFunc(servers, netip.AddrPort.Compare)
	for _, k := range servers {
		lt := d.logins[k]
		if lt.failed < loginFailuresMin {
			continue
		}
		f := &Finding{Code: LoginFailures, Severity: Warning, Point: d.point, Session: lt.lastFailSession,
			Evidence: []Evidence{{At: lt.first, What: "the first login attempt"}, {At: lt.lastFailure.At, What: "the last failed one: " + lt.lastFailure.reply()}}}
		span := lt.last.Time.Sub(lt.first.Time).Round(time.Millisecond)
		f.Summary = fmt.Sprintf("%d failed logins to %s in %s, from %s (%s), for %s (%s)",
			lt.failed, lt.server, span, plural(len(lt.clients), "client", "clients"), names(addrStrings(lt.clients), lt.moreC),
			plural(len(lt.users), "user", "users"), names(lt.users, lt.moreU))
		if lt.ok > 0 {
			f.Summary += fmt.Sprintf("; %s succeeded, the first as \"%s\" (frame %d)", plural(lt.ok, "login", "logins"), lt.firstOK.User, lt.firstOK.At.Frame)
			f.Evidence = append(f.Evidence, Evidence{At: lt.firstOK.At, What: "a login that succeeded: " + lt.firstOK.reply()})
		} else {
			f.Summary += "; none succeeded"
		}
		f.Advice = "If these are not a person mistyping, someone is guessing passwords: limit login attempts on the server (vsftpd max_login_fails, proftpd MaxLoginAttempts, fail2ban), " +
			"and use FTPS or SFTP so that passwords do not cross the network in clear text."
		if lt.ok > 0 {
			f.Advice += " Change the password of the account that was let in."
		}
		sortEvidence(f.Evidence)
		out = append(out, f)
	}
	return out
}

// addrStrings is each address in words.
func addrStrings(as []netip.Addr) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

func names(list []string, more bool) string {
	s := strings.Join(list, ", ")
	if more {
		s += ", …"
	}
	return s
}
