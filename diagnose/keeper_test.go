package diagnose

import (
	"fmt"
	"testing"

	"github.com/ftpsniff/ftpsniff/analyze"
)

func keepSession(n int, sev ...Severity) (*analyze.Session, []*Finding) {
	s := &analyze.Session{ID: fmt.Sprintf("S%d", n), Transfers: []*analyze.Transfer{{}, {}}}
	var fs []*Finding
	for _, v := range sev {
		fs = append(fs, &Finding{Code: Code(fmt.Sprintf("c%d", n)), Severity: v, Session: s})
	}
	return s, fs
}

func TestKeeperKeepsTheWorstSessions(t *testing.T) {
	k := &Keeper{Max: 3}
	k.Session(keepSession(1))
	k.Session(keepSession(2, Info))
	k.Session(keepSession(3))
	k.Session(keepSession(4))        // full, and no worse than any kept: let go
	k.Session(keepSession(5, Error)) // replaces S1, the oldest without findings
	k.Session(keepSession(6, Warning, Info))
	k.Session(keepSession(7, Info)) // the kept are S2 (info), S5 (error), S6 (warning): let go
	r := &Point{Result: &analyze.Result{}}
	k.Apply(r)

	var ids []string
	for _, s := range r.Sessions {
		ids = append(ids, s.ID)
	}
	if got, want := fmt.Sprint(ids), "[S2 S5 S6]"; got != want {
		t.Errorf("kept sessions %s, want %s (in the order they began)", got, want)
	}
	var codes []string
	for _, f := range r.Findings {
		codes = append(codes, f.Severity.String()+":"+f.Session.ID)
	}
	if got, want := fmt.Sprint(codes), "[error:S5 warning:S6 info:S2 info:S6]"; got != want {
		t.Errorf("findings %s, want %s (most severe first, then session order)", got, want)
	}
	want := LeftOut{Sessions: 4, Transfers: 8, Findings: [3]int{Info: 1}}
	if r.LeftOut != want {
		t.Errorf("left out %+v, want %+v (S1, S3, S4 and S7)", r.LeftOut, want)
	}
}

func TestKeeperSessionNumbersOrderPastNine(t *testing.T) {
	k := &Keeper{Max: 5}
	for _, n := range []int{10, 2, 9, 11, 1} {
		k.Session(keepSession(n))
	}
	r := &Point{Result: &analyze.Result{}}
	k.Apply(r)
	var ids []string
	for _, s := range r.Sessions {
		ids = append(ids, s.ID)
	}
	if got, want := fmt.Sprint(ids), "[S1 S2 S9 S10 S11]"; got != want {
		t.Errorf("sessions in order %s, want %s", got, want)
	}
}
