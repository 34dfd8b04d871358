package synth

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// TestGenerate checks the file against what Generate claims: its size and
// packet count, strictly increasing timestamps, tagged and untagged frames
// in one file, every scenario present, the FTP share near its target, and
// the same bytes for the same seed.
func TestGenerate(t *testing.T) {
	o := Options{Size: 24 << 20, Seed: 3, MaxFile: 64 << 10, MinSessions: 3 * len(scenarios)}
	var a, b bytes.Buffer
	res, err := Generate(&a, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(&b, o); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two runs with the same options wrote different files")
	}
	st := res.Stats
	if int64(a.Len()) != st.Bytes {
		t.Errorf("file is %d bytes, Stats.Bytes %d", a.Len(), st.Bytes)
	}
	if d := float64(st.Bytes-o.Size) / float64(o.Size); d < -0.05 || d > 0.05 {
		t.Errorf("file is %d bytes, asked for %d", st.Bytes, o.Size)
	}
	if share := float64(st.FTPBytes) / float64(st.Bytes); share < 0.05 || share > 0.09 {
		t.Errorf("FTP share %.3f, want about 0.07", share)
	}
	for _, name := range Scenarios() {
		if st.Scenarios[name] < 3 {
			t.Errorf("scenario %s featured in %d sessions, want at least 3", name, st.Scenarios[name])
		}
	}

	r, err := pcapgo.NewReader(&a)
	if err != nil {
		t.Fatal(err)
	}
	var n, tagged int64
	var last time.Time
	for {
		data, ci, err := r.ZeroCopyReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if !ci.Timestamp.After(last) {
			t.Fatalf("record %d: time %v not after %v", n, ci.Timestamp, last)
		}
		last = ci.Timestamp
		if layers.EthernetType(uint16(data[12])<<8|uint16(data[13])) == layers.EthernetTypeDot1Q {
			tagged++
		}
	}
	if n != st.Packets {
		t.Errorf("read %d records, Stats.Packets %d", n, st.Packets)
	}
	if tagged == 0 || tagged == n {
		t.Errorf("%d of %d frames tagged, want some", tagged, n)
	}
	t.Logf("%d bytes, %d packets (%d tagged), %d sessions, %d transfers, FTP %.1f%% of bytes",
		st.Bytes, st.Packets, tagged, st.Sessions, st.Transfers, 100*float64(st.FTPBytes)/float64(st.Bytes))
}
