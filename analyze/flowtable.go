package analyze

// flowTable holds the tracked TCP connections (control, data, candidate),
// and in front of the map a count of tracked connections per port pair.
// Most segments of a capture belong to connections ftpsniff does not track;
// for them, one load from the counts says so, with no key built and no
// hash computed. A nonzero count only means "maybe": the map decides.
//
// The last connection found is kept in front of the map too: most of a
// busy FTP link's tracked segments follow one of the same connection (a
// transfer's segments and their ACKs; 70% on bench/gen -ftp-share 1.0),
// and comparing a key costs less than hashing it.
type flowTable struct {
	m map[flowKey]*flow
	// ports counts the tracked connections by portSlot. A count that
	// reaches the maximum stays there (never decremented), so it can only
	// err towards a map lookup.
	ports *[1 << 16]uint16
	// last is the connection get found last (f nil: none).
	last *lastFlow
}

type lastFlow struct {
	k flowKey
	f *flow
}

func newFlowTable() flowTable {
	return flowTable{m: make(map[flowKey]*flow), ports: new([1 << 16]uint16), last: &lastFlow{}}
}

// portSlot is the same for both directions of a connection.
func portSlot(a, b uint16) uint16 { return a ^ b }

// maybe reports whether a connection with these ports may be tracked.
func (t flowTable) maybe(srcPort, dstPort uint16) bool {
	return t.ports[portSlot(srcPort, dstPort)] != 0
}

func (t flowTable) get(k flowKey) *flow {
	if l := t.last; l.f != nil && l.k == k {
		return l.f
	}
	f := t.m[k]
	if f != nil {
		*t.last = lastFlow{k, f}
	}
	return f
}

func (t flowTable) len() int { return len(t.m) }

func (t flowTable) put(k flowKey, f *flow) {
	if _, ok := t.m[k]; !ok {
		if c := &t.ports[portSlot(k.pa, k.pb)]; *c != ^uint16(0) {
			*c++
		}
	}
	t.m[k] = f
	if t.last.k == k {
		t.last.f = f
	}
}

func (t flowTable) del(k flowKey) {
	if _, ok := t.m[k]; !ok {
		return
	}
	delete(t.m, k)
	if t.last.k == k {
		t.last.f = nil
	}
	if c := &t.ports[portSlot(k.pa, k.pb)]; *c != ^uint16(0) {
		*c--
	}
}
