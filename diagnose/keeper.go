package diagnose

import (
	"sort"
	"strconv"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// Keeper holds the sessions a report for people shows, so that memory
// stays bounded however many sessions a capture holds: it keeps up to Max
// diagnosed sessions with their findings, and once full keeps a new
// session only in place of one whose worst finding is less severe (the
// oldest such): a capture of many clean sessions and a few failing ones
// reports the failing ones. What it lets go is counted. (JSON Lines needs
// no Keeper: it writes every session as it finishes.)
type Keeper struct {
	Max     int
	kept    []kept
	dropped LeftOut
}

type kept struct {
	s     *analyze.Session
	fs    []*Finding
	worst int // 1 + the most severe finding's Severity; 0 without findings
}

// Session takes one diagnosed session.
func (k *Keeper) Session(s *analyze.Session, fs []*Finding) {
	w := 0
	for _, f := range fs {
		w = max(w, int(f.Severity)+1)
	}
	if len(k.kept) < k.Max {
		k.kept = append(k.kept, kept{s, fs, w})
		return
	}
	victim := -1
	for i, c := range k.kept {
		if c.worst < w && (victim < 0 || c.worst < k.kept[victim].worst) {
			victim = i
		}
	}
	if victim < 0 {
		k.drop(s, fs)
		return
	}
	k.drop(k.kept[victim].s, k.kept[victim].fs)
	k.kept = append(k.kept[:victim], k.kept[victim+1:]...)
	k.kept = append(k.kept, kept{s, fs, w})
}

func (k *Keeper) drop(s *analyze.Session, fs []*Finding) {
	k.dropped.Sessions++
	k.dropped.Transfers += len(s.Transfers)
	for _, f := range fs {
		k.dropped.Findings[f.Severity]++
	}
}

// Apply puts what was kept into p, the Point of Finish: the sessions in
// the order they began, their findings most severe first, and in
// p.LeftOut the counts of the sessions left out.
func (k *Keeper) Apply(p *Point) {
	sessions := make([]*analyze.Session, 0, len(k.kept)+len(p.Sessions))
	var findings []*Finding
	for _, c := range k.kept {
		sessions = append(sessions, c.s)
		findings = append(findings, c.fs...)
	}
	sessions = append(sessions, p.Sessions...)
	sort.SliceStable(sessions, func(i, j int) bool { return sessionNumber(sessions[i]) < sessionNumber(sessions[j]) })
	order := make(map[*analyze.Session]int, len(sessions))
	for i, s := range sessions {
		order[s] = i
	}
	findings = append(findings, p.Findings...)
	sort.SliceStable(findings, func(i, j int) bool {
		if findings[i].Severity != findings[j].Severity {
			return findings[i].Severity > findings[j].Severity
		}
		return order[findings[i].Session] < order[findings[j].Session]
	})
	p.Sessions, p.Findings, p.LeftOut = sessions, findings, k.dropped
	k.kept = nil
}

// sessionNumber is n of the session ID "Sn": the order sessions began in.
func sessionNumber(s *analyze.Session) int {
	if len(s.ID) > 1 {
		if n, err := strconv.Atoi(s.ID[1:]); err == nil {
			return n
		}
	}
	return 0
}
