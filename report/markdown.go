package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/ftpsniff/ftpsniff/diagnose"
)

// writeMarkdownSummary writes what a reader of an issue wants first: the
// counts, one line per kind of finding with the transfers it concerns, and
// what was left out or could not be read. The details follow it.
func writeMarkdownSummary(w io.Writer, in *Input) {
	sum := summaryRec(in)
	ok, released := 0, false
	for _, r := range in.Results {
		released = released || r.LeftOut.Transfers > 0
		for _, s := range r.Sessions {
			for _, t := range s.Transfers {
				if verdict(t, "") == "ok" {
					ok++
				}
			}
		}
	}
	errs := plural(sum.Findings["error"], "error")
	if sum.Findings["error"] > 0 {
		errs = "**" + errs + "**"
	}
	oks := fmt.Sprintf(" (%d ok)", ok)
	if released {
		oks = "" // live capture let go of the transfers it reported: not counted here
	}
	fmt.Fprintf(w, "**Summary:** %s, %s%s; %s, %s, %d info; %s, %d bytes read",
		plural(sum.Sessions, "session"), plural(sum.Transfers, "transfer"), oks,
		errs, plural(sum.Findings["warning"], "warning"), sum.Findings["info"],
		plural(int(sum.Packets), "packet"), sum.Bytes)
	if sum.TruncatedPackets > 0 {
		fmt.Fprintf(w, ", %d truncated by the snap length", sum.TruncatedPackets)
	}
	fmt.Fprintln(w, ".")
	fmt.Fprintln(w)

	// One line per finding code, most severe first, naming where it was
	// made ("S1.T2", with the point's name when there are two).
	type kind struct {
		sev   diagnose.Severity
		code  string
		n     int
		where []string
	}
	var kinds []*kind
	add := func(point string, f *diagnose.Finding) {
		var k *kind
		for _, c := range kinds {
			if c.code == string(f.Code) && c.sev == f.Severity {
				k = c
			}
		}
		if k == nil {
			k = &kind{sev: f.Severity, code: string(f.Code)}
			kinds = append(kinds, k)
		}
		k.n++
		var ids []string
		for _, t := range f.Transfers {
			ids = append(ids, t.ID)
		}
		if len(ids) == 0 && f.Session != nil {
			ids = append(ids, f.Session.ID)
		}
		for _, id := range ids {
			if len(in.Results) > 1 {
				id = point + " " + id
			}
			if !slices.Contains(k.where, id) {
				k.where = append(k.where, id)
			}
		}
	}
	for _, r := range in.Results {
		for _, f := range r.Findings {
			add(r.Point, f)
		}
	}
	for _, a := range in.ALG {
		for _, f := range a.Findings {
			add(a.Outside.Point, f) // as the findings list shows them
		}
	}
	slices.SortStableFunc(kinds, func(a, b *kind) int { return int(b.sev) - int(a.sev) })
	for _, k := range kinds {
		where := k.where
		if len(where) > 8 {
			where = append(where[:8:8], fmt.Sprintf("and %d more", len(k.where)-8))
		}
		times := ""
		if k.n > 1 {
			times = fmt.Sprintf(" ×%d", k.n)
		}
		fmt.Fprintf(w, "- **%s** `%s`%s: %s\n", k.sev, k.code, times, mdText(strings.Join(where, ", ")))
	}
	if len(kinds) > 0 {
		fmt.Fprintln(w)
	}
	for _, n := range summaryNotes(in, sum) {
		fmt.Fprintf(w, "**%s:** %s\n\n", mdText(n.label), mdText(n.text))
	}
}

// plural says "1 session", "2 sessions".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
