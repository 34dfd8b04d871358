package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/diagnose"
	"github.com/ftpsniff/ftpsniff/report/term"
)

// Stream writes each transfer's verdict as soon as it is decided, for live
// capture: a line for people, or the transfer's JSON record (and its
// findings) for programs. It remembers what it wrote, so the final report
// does not repeat JSON records.
type Stream struct {
	w      io.Writer
	json   bool
	point  string
	inputs []string
	// Written records the transfers written, with the codes of the
	// findings written with each.
	Written map[*analyze.Transfer][]string
	// Found records the findings written: code and transfer.
	Found map[string]bool
	err   error // the first write error
}

// Err returns the first error writing the stream.
func (st *Stream) Err() error { return st.err }

// Transfer writes one decided transfer of the stream's point and the
// findings it alone supports (a pipeline sink); the first error sticks.
func (st *Stream) Transfer(_ string, s *analyze.Session, t *analyze.Transfer, findings []*diagnose.Finding) {
	if st.err == nil {
		st.err = st.writeTransfer(s, t, findings)
	}
}

// Session lets go of what the stream remembers of a session that has been
// reported (a pipeline sink).
func (st *Stream) Session(_ string, s *analyze.Session, _ []*diagnose.Finding) { st.Forget(s) }

// NewStream returns a Stream for the given format ("json", or anything
// else for one line per transfer).
func NewStream(w io.Writer, format, point string, inputs []string) *Stream {
	return &Stream{w: w, json: format == "json", point: point, inputs: inputs, Written: map[*analyze.Transfer][]string{}, Found: map[string]bool{}}
}

// writeTransfer writes one decided transfer and the findings it alone
// supports.
func (st *Stream) writeTransfer(s *analyze.Session, t *analyze.Transfer, findings []*diagnose.Finding) error {
	codes := st.Written[t][:0:0]
	for _, f := range findings {
		st.Found[string(f.Code)+" "+t.ID] = true
		codes = append(codes, string(f.Code))
	}
	st.Written[t] = codes
	r := &analyze.Result{Point: st.point, Inputs: st.inputs}
	if st.json {
		enc := json.NewEncoder(st.w)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(transferRec(r, s, t)); err != nil {
			return err
		}
		for _, f := range findings {
			if err := enc.Encode(findingRec(r, f)); err != nil {
				return err
			}
		}
		return nil
	}
	var why *diagnose.Finding
	if len(findings) > 0 {
		why = findings[0]
	}
	row := transferRow(r, s, t, why)
	_, err := fmt.Fprintf(st.w, "%s %s %s | %s | %s | %s | %s | %s\n", t.Final.At.Time.UTC().Format("15:04:05.000"), row.ID, short(row.Command), row.Mode, short(row.Negotiated), row.Data, short(row.Reply), row.Verdict)
	if err != nil {
		return err
	}
	for _, f := range findings {
		if _, err := fmt.Fprintf(st.w, "  %s %s: %s\n", f.Severity, f.Code, term.Clean(f.Summary)); err != nil {
			return err
		}
	}
	return nil
}

// wrote reports whether the finding was written with every transfer it
// explains.
func (st *Stream) wrote(f *diagnose.Finding) bool {
	if len(f.Transfers) == 0 {
		return false
	}
	for _, t := range f.Transfers {
		if !st.Found[string(f.Code)+" "+t.ID] {
			return false
		}
	}
	return true
}

// Forget lets go of what the stream remembers of a session that has been
// reported, so that a capture that runs for days needs memory only for
// the sessions open.
func (st *Stream) Forget(s *analyze.Session) {
	for _, t := range s.Transfers {
		for _, code := range st.Written[t] {
			delete(st.Found, code+" "+t.ID)
		}
		delete(st.Written, t)
	}
}
