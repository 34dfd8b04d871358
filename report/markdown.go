package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// WriteMarkdown writes the report as Markdown, to paste into an issue:
// the summary first, then per capture point its answer, sessions,
// transfers and findings. Every text is made literal (mdText).
func WriteMarkdown(w io.Writer, run *Run) error {
	v := NewView(run)
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "## ftpsniff report")
	fmt.Fprintln(bw)
	writeMarkdownSummary(bw, run, v)
	for _, p := range v.Points {
		fmt.Fprintf(bw, "Capture point **%s**: %s — %s\n\n", mdText(strconv.Quote(p.Name)), mdText(p.Files), mdText(p.Stats))
		for _, a := range p.Answer {
			fmt.Fprintf(bw, "> %s\n", mdText(a))
		}
		if len(p.Answer) > 0 {
			fmt.Fprintln(bw)
		}
		if p.Along != "" {
			fmt.Fprintf(bw, "%s\n\n", mdText(p.Along))
		}
		if len(p.Sessions) == 0 {
			continue
		}
		fmt.Fprintf(bw, "### Sessions\n\n")
		st := newMarkdownTable(bw, "ID", "Client", "Server", "User", "TLS", "Cmds", "Transfers", "Gaps", "Closed", "Notes")
		for _, r := range p.Sessions {
			st.Append([]string{r.ID, r.Client, r.Server, r.User, r.TLS, r.Commands, r.Transfers, r.Gaps, r.Closed, r.Notes})
		}
		if err := st.Render(); err != nil {
			return err
		}
		if len(p.Transfers) > 0 {
			fmt.Fprintf(bw, "\n### Transfers\n\n")
			tt := newMarkdownTable(bw, "ID", "Command", "Mode", "Negotiated (frame)", "Neg. reply", "Data connection", "Bytes", "Reply", "Verdict")
			for _, r := range p.Transfers {
				tt.Append([]string{r.ID, short(r.Command), r.Mode, short(r.Negotiated), r.NegReply, r.Data, r.Bytes, short(r.Reply), r.Verdict})
			}
			if err := tt.Render(); err != nil {
				return err
			}
		}
		if len(p.Findings) > 0 {
			fmt.Fprintf(bw, "\n### Findings (most severe first)\n\n")
			writeMarkdownFindings(bw, p.Findings)
		}
		fmt.Fprintln(bw)
	}
	if p := v.Path; p != nil {
		fmt.Fprintf(bw, "\n## Path: %s\n\n", mdText(p.Order))
		for _, a := range p.Answer {
			fmt.Fprintf(bw, "> %s\n", mdText(a))
		}
		if len(p.Answer) > 0 {
			fmt.Fprintln(bw)
		}
		fmt.Fprintf(bw, "%s.", mdText(upperFirst(p.OrderWhy)))
		if p.Clocks != "" {
			fmt.Fprintf(bw, " %s.", mdText(upperFirst(p.Clocks)))
		}
		fmt.Fprintf(bw, "\n\n")
		for _, b := range p.Boxes {
			fmt.Fprintf(bw, "- between %s and %s: %s\n", mdText(b.Near), mdText(b.Far), mdText(b.What))
		}
		if len(p.Stories) == 0 {
			fmt.Fprintf(bw, "\nNo session was seen at two points.\n")
		}
		for i, st := range p.Stories {
			fmt.Fprintf(bw, "\n### Session %d along the path: %s\n\n%s\n\n", i+1, mdText(st.Title), mdText(st.Sessions))
			if st.Control != "" {
				fmt.Fprintf(bw, "- %s\n", mdText(st.Control))
			}
			for _, n := range st.Negotiations {
				fmt.Fprintf(bw, "- %s\n", mdText(n.Command))
				for _, l := range append(append(append([]string{}, n.Seen...), n.Boxes...), n.Data) {
					fmt.Fprintf(bw, "  - %s\n", mdText(l))
				}
			}
			if len(st.Findings) > 0 {
				fmt.Fprintf(bw, "\n")
				writeMarkdownFindings(bw, st.Findings)
			}
		}
	}
	return bw.Flush()
}

// newMarkdownTable is a Markdown table whose every cell is made literal,
// whatever wrote it: a | from the wire cannot split a row, nor a backtick
// or <img> render.
func newMarkdownTable(w io.Writer, headers ...any) *tablewriter.Table {
	t := tablewriter.NewTable(w, tablewriter.WithRenderer(renderer.NewMarkdown()),
		tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithRowAutoWrap(tw.WrapNone), tablewriter.WithTrimSpace(tw.Off),
		tablewriter.WithRowFilter(tw.CellFilter{Global: func(cells []string) []string {
			for i, c := range cells {
				cells[i] = mdText(c)
			}
			return cells
		}}))
	t.Header(headers...)
	return t
}

// writeMarkdownFindings lists findings as a numbered list, evidence and fix
// as sub-items.
func writeMarkdownFindings(w io.Writer, fs []FindingView) {
	for _, f := range fs {
		// A sub-item is indented to the item's text ("10. " is 4 wide),
		// else Markdown starts a new list.
		indent := strings.Repeat(" ", len(strconv.Itoa(f.Number))+2)
		ids := ""
		if f.IDs != "" {
			ids = " " + mdText(f.IDs)
		}
		fmt.Fprintf(w, "%d. **%s `%s`**%s: %s\n", f.Number, strings.ToUpper(f.Severity), f.Code, ids, mdText(f.Summary))
		for _, e := range f.Evidence {
			where := mdText(e.File)
			if e.Point != "" {
				where = mdText(e.Point)
			}
			fmt.Fprintf(w, "%s- %s frame %d (%s): %s\n", indent, where, e.Frame, e.Time, mdText(e.What))
		}
		fmt.Fprintf(w, "%s- fix: %s\n", indent, mdText(f.Advice))
	}
	if len(fs) > 0 {
		fmt.Fprintln(w) // ends the list: what follows is not one of its items
	}
}

// writeMarkdownSummary writes what a reader of an issue wants first: the
// counts, one line per kind of finding with the transfers it concerns, and
// what was left out or could not be read. The details follow it.
func writeMarkdownSummary(w io.Writer, run *Run, v *View) {
	sum := summaryRec(run)
	ok, released := 0, false
	for i, p := range v.Points {
		released = released || run.Points[i].LeftOut.Transfers > 0
		for _, t := range p.Transfers {
			if t.Verdict == "ok" {
				ok++
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
	for _, k := range v.Kinds {
		where := k.Where
		if len(where) > 8 {
			where = append(where[:8:8], fmt.Sprintf("and %d more", len(k.Where)-8))
		}
		times := ""
		if k.Count > 1 {
			times = fmt.Sprintf(" ×%d", k.Count)
		}
		fmt.Fprintf(w, "- **%s** `%s`%s: %s\n", k.Severity, k.Code, times, mdText(strings.Join(where, ", ")))
	}
	if len(v.Kinds) > 0 {
		fmt.Fprintln(w)
	}
	for _, n := range v.SummaryNotes {
		fmt.Fprintf(w, "**%s:** %s\n\n", mdText(n.Label), mdText(n.Text))
	}
}

// plural says "1 session", "2 sessions".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
