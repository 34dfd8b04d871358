package diagnose

import (
	"cmp"
	"slices"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// Evidence is one frame that supports a finding.
type Evidence struct {
	At   analyze.Ref
	What string
	// Point names the capture point of At when it is not the finding's
	// own (findings that compare two points).
	Point string
}

// Finding is one diagnosed cause, with the frames that prove it and the
// change that fixes it.
type Finding struct {
	Code     Code
	Severity Severity
	// Point is the capture point the finding was made at.
	Point string
	// Points are the capture points it rests on, in path order, when
	// several points were compared (a box's two sides, or every point that
	// saw the same cause); nil for one point's own finding.
	Points    []string
	Session   *analyze.Session
	Transfers []*analyze.Transfer // the transfers it explains, first one first
	Summary   string
	Evidence  []Evidence // in time order
	Advice    string

	// key groups findings of one cause: the same code with the same key is
	// one finding (default: the session).
	key string
}

// maxEvidence bounds the frames cited by one finding.
const maxEvidence = 12

// findings collects a diagnosis's findings, one per cause.
type findings struct {
	point string
	out   []*Finding
}

// add records f, merging it into an earlier finding of the same code,
// severity and cause: one finding per cause, with every transfer it
// explains and (up to maxEvidence) the frames of each.
func (fs *findings) add(f *Finding) {
	if f == nil {
		return
	}
	if f.key == "" && f.Session != nil {
		f.key = f.Session.ID
	}
	f.Point = fs.point
	for _, g := range fs.out {
		if g.Code == f.Code && g.Severity == f.Severity && g.key == f.key {
			g.Transfers = append(g.Transfers, f.Transfers...)
			for _, e := range f.Evidence {
				if len(g.Evidence) < maxEvidence && !hasEvidence(g.Evidence, e) {
					g.Evidence = append(g.Evidence, e)
				}
			}
			sortEvidence(g.Evidence)
			return
		}
	}
	if len(f.Evidence) > maxEvidence {
		f.Evidence = f.Evidence[:maxEvidence]
	}
	sortEvidence(f.Evidence)
	fs.out = append(fs.out, f)
}

func hasEvidence(list []Evidence, e Evidence) bool {
	for _, x := range list {
		if x.At == e.At && x.Point == e.Point && x.What == e.What {
			return true
		}
	}
	return false
}

// sortEvidence puts evidence in time order (frames without a time last,
// as they came).
func sortEvidence(ev []Evidence) {
	// slices, not sort.SliceStable: that one allocates (a reflect-based
	// swapper), and every finding sorts its evidence.
	slices.SortStableFunc(ev, func(x, y Evidence) int {
		a, b := x.At.Time, y.At.Time
		switch az, bz := a.IsZero(), b.IsZero(); {
		case az && bz:
			return 0
		case az:
			return 1
		case bz:
			return -1
		}
		return a.Compare(b)
	})
}

// SortFindings orders findings most severe first, keeping the order they
// were made in otherwise.
func SortFindings(fs []*Finding) {
	slices.SortStableFunc(fs, func(a, b *Finding) int { return cmp.Compare(b.Severity, a.Severity) })
}
