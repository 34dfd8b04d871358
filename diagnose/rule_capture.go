package diagnose

import (
	"fmt"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
)

// captureDuplicates: the capture holds the same records twice (a file
// concatenated with itself, or merged with itself, or a tap that doubles):
// said once for the point, with the first duplicate and the record it
// repeats. The reader skipped them, so the rest of the report counts each
// record once.
func captureDuplicates(point string, r *analyze.Result) *Finding {
	st := r.Capture
	if st.Duplicates == 0 {
		return nil
	}
	e := st.FirstDuplicate
	file := fmt.Sprintf("input %d", e.Input)
	if e.Input >= 0 && e.Input < len(r.Inputs) {
		file = r.Inputs[e.Input]
	}
	counted := "each was counted once, the copies skipped"
	if e.Unchecked != 0 {
		counted = "the copies found were skipped"
	}
	fix := "remove the duplicates (editcap -d FILE OUT compares each packet with the few before it)"
	if e.Shape == capture.RepeatedAfterStepBack {
		fix = fmt.Sprintf("keep the records before the repetition (editcap -r FILE OUT 1-%d)", e.Frame-1)
	}
	f := &Finding{Code: DuplicateRecords, Severity: Warning, Point: point,
		Evidence: []Evidence{
			{At: analyze.Ref{Input: e.Input, Frame: e.Repeats, Time: analyze.StampOf(e.Time)}, What: "a record"},
			{At: analyze.Ref{Input: e.Input, Frame: e.Frame, Time: analyze.StampOf(e.Time)}, What: fmt.Sprintf("the same record again (%s)", e.Shape)},
		},
		Summary: fmt.Sprintf("%s holds %s twice: %s; %s", file, plural(int(st.Duplicates), "record", "records"), e, counted),
		Advice:  "Nothing in the network: the capture file was put together twice (mergecap of a file with itself, overlapping rotated files) or a tap duplicated the packets. Use the original file, or " + fix + ".",
	}
	return f
}
