package report

import (
	"encoding/json"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/diagnose"
)

// pathRecord is one session seen at two or more capture points.
type pathRecord struct {
	Type string `json:"type"` // "path"
	// Points are the capture points in path order (the clients' side
	// first), Order how that order was decided.
	Points []string `json:"points"`
	Order  string   `json:"order"`
	// Sessions maps each point that saw the session to its session ID there.
	Sessions map[string]string `json:"sessions"`
	// Control is where the control connection's SYN was seen.
	Control      openingRecord    `json:"control"`
	Negotiations []pathNegRecord  `json:"negotiations"`
	Transfers    []pathXferRecord `json:"transfers"`
	Boxes        []pathBoxRecord  `json:"boxes"`
}

// openingRecord follows one SYN along the path.
type openingRecord struct {
	State string `json:"state"`
	// SeenAt are the points that saw the SYN, in the order it travelled;
	// DiedAfter and DiedBefore the last that saw it and the next one that
	// did not (DiedBefore null: it died past the last point; both null:
	// answered by its acceptor, or never sent).
	SeenAt     []string `json:"seen_at"`
	DiedAfter  *string  `json:"died_after"`
	DiedBefore *string  `json:"died_before"`
	// BeforeEnded: died_before's capture holds nothing from the time the
	// SYN passed died_after on (it may have stopped capturing before).
	BeforeEnded bool `json:"died_before_capture_ended,omitempty"`
}

// pathNegRecord is one negotiation as every point saw it.
type pathNegRecord struct {
	Command string `json:"command"`
	// Seen maps each point that saw the line to what it saw there.
	Seen map[string]pathLineRecord `json:"seen"`
	Data openingRecord             `json:"data"`
}

type pathLineRecord struct {
	Line    string `json:"line"`
	Address string `json:"address,omitempty"`
	File    string `json:"file,omitempty"`
	Frame   uint64 `json:"frame"`
}

// pathXferRecord is one transfer: its ID at each point and its data
// connection along the path.
type pathXferRecord struct {
	IDs         map[string]string `json:"ids"`
	Command     string            `json:"command"`
	Negotiation *int              `json:"negotiation"` // index into negotiations
	Data        openingRecord     `json:"data"`
}

// pathBoxRecord is what one box between two neighbouring points did to
// each negotiation of the session.
type pathBoxRecord struct {
	Between      [2]string          `json:"between"`
	Client       []string           `json:"client_translated,omitempty"` // near, far
	Server       []string           `json:"server_translated,omitempty"`
	Negotiations []pathBoxNegRecord `json:"negotiations"`
}

type pathBoxNegRecord struct {
	Negotiation   int    `json:"negotiation"`
	Verdict       string `json:"verdict"`
	Why           string `json:"why"`
	SeqShift      *int64 `json:"seq_shift,omitempty"`
	LengthChange  int    `json:"length_change"`
	SeqConsistent *bool  `json:"seq_consistent,omitempty"`
}

func openingRec(p *analyze.Path, o analyze.PathOpening) openingRecord {
	rec := openingRecord{State: string(o.State), SeenAt: []string{}}
	for _, i := range o.SeenAt {
		rec.SeenAt = append(rec.SeenAt, p.Points[i].Point)
	}
	if o.DiedAfter >= 0 {
		a := p.Points[o.DiedAfter].Point
		rec.DiedAfter = &a
	}
	if o.DiedBefore >= 0 {
		b := p.Points[o.DiedBefore].Point
		rec.DiedBefore, rec.BeforeEnded = &b, o.BeforeEnded
	}
	return rec
}

func pathRec(d *diagnose.PathDiagnosis, st *diagnose.Story) pathRecord {
	p := d.Path
	rec := pathRecord{Type: "path", Order: string(p.Order), Sessions: map[string]string{}, Control: openingRec(p, st.Control),
		Negotiations: []pathNegRecord{}, Transfers: []pathXferRecord{}, Boxes: []pathBoxRecord{}}
	for _, r := range p.Points {
		rec.Points = append(rec.Points, r.Point)
	}
	for i, s := range st.At {
		if s != nil {
			rec.Sessions[p.Points[i].Point] = s.ID
		}
	}
	negIndex := map[*analyze.Negotiation]int{}
	for k, pn := range st.Negotiations {
		nr := pathNegRecord{Command: pn.Command, Seen: map[string]pathLineRecord{}, Data: openingRec(p, pn.Data)}
		for i, n := range pn.At {
			if n == nil {
				continue
			}
			negIndex[n] = k
			nr.Seen[p.Points[i].Point] = pathLineRecord{Line: n.Line(), Address: addr(n.Address), File: fileOf(p.Points[i], n.At), Frame: n.At.Frame}
		}
		rec.Negotiations = append(rec.Negotiations, nr)
	}
	// Transfers, lined up by their negotiation (or their order at each
	// point when they have none).
	byNeg := map[int]*pathXferRecord{}
	for i, s := range st.At {
		if s == nil {
			continue
		}
		for _, t := range s.Transfers {
			k, ok := negIndex[t.Negotiation]
			if !ok || t.Superseded {
				continue
			}
			x := byNeg[k]
			if x == nil {
				kk := k
				rec.Transfers = append(rec.Transfers, pathXferRecord{IDs: map[string]string{}, Command: t.Command, Negotiation: &kk, Data: rec.Negotiations[k].Data})
				x = &rec.Transfers[len(rec.Transfers)-1]
				byNeg[k] = x
			}
			x.IDs[p.Points[i].Point] = t.ID
			if x.Command == "" {
				x.Command = t.Command
			}
		}
	}
	for bi, b := range p.Boxes {
		br := pathBoxRecord{Between: [2]string{b.Near, b.Far}, Negotiations: []pathBoxNegRecord{}}
		near, far := st.At[bi], st.At[bi+1]
		if near == nil || far == nil {
			continue
		}
		if near.Client.Addr() != far.Client.Addr() {
			br.Client = []string{near.Client.String(), far.Client.String()}
		}
		if near.Server.Addr() != far.Server.Addr() {
			br.Server = []string{near.Server.String(), far.Server.String()}
		}
		for k, pn := range st.Negotiations {
			c := pn.Crossings[bi]
			if c == nil {
				continue
			}
			nr := pathBoxNegRecord{Negotiation: k, Verdict: string(c.Verdict), Why: c.Why, LengthChange: c.LengthChange}
			if c.SeqChecked {
				shift, ok := c.SeqShift, c.SeqConsistent
				nr.SeqShift, nr.SeqConsistent = &shift, &ok
			}
			br.Negotiations = append(br.Negotiations, nr)
		}
		rec.Boxes = append(rec.Boxes, br)
	}
	return rec
}

// writePath writes a path run's records: one "path" record per story, one
// "alg" record per negotiation compared across a box that translates, and
// the stories' findings.
func writePath(enc *json.Encoder, d *diagnose.PathDiagnosis) error {
	for _, st := range d.Stories {
		if err := enc.Encode(pathRec(d, st)); err != nil {
			return err
		}
	}
	for _, rec := range algRecs(d) {
		if err := enc.Encode(rec); err != nil {
			return err
		}
	}
	for _, f := range d.Findings() {
		r := pointResult(d, f.Point)
		if err := enc.Encode(findingRec(r, f, d.Path.Points...)); err != nil {
			return err
		}
	}
	return nil
}

// algRecs are the comparisons of each negotiation across each box that
// translates an address (a NAT), box by box, session by session: the
// "alg" records of two points around a NAT, kept for their readers.
func algRecs(d *diagnose.PathDiagnosis) []algRecord {
	var recs []algRecord
	for bi, b := range d.Boxes {
		if b.ClientNAT == 0 && b.ServerNAT == 0 {
			continue
		}
		near, far := d.Path.Points[bi], d.Path.Points[bi+1]
		for _, st := range d.Stories {
			if st.At[bi] == nil || st.At[bi+1] == nil {
				continue
			}
			for _, pn := range st.Negotiations {
				c := pn.Crossings[bi]
				if c == nil {
					continue
				}
				in, out := near, far
				if pn.Mode.IsPassive() {
					in, out = far, near
				}
				recs = append(recs, algRec(&analyze.ALGResult{Inside: in, Outside: out}, c))
			}
			if c := st.Encrypted[bi]; c != nil {
				recs = append(recs, algRec(&analyze.ALGResult{Inside: near, Outside: far}, c))
			}
		}
	}
	return recs
}

// pointResult is the point named name on the path.
func pointResult(d *diagnose.PathDiagnosis, name string) *analyze.Result {
	for _, r := range d.Path.Points {
		if r.Point == name {
			return r
		}
	}
	return d.Path.Points[0]
}
