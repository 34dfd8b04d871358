package capture

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/ftpsniff/ftpsniff/internal/corpus"
)

// samePacket compares what two decodes of one frame produced.
func samePacket(a, b *Packet) error {
	if bytes.Equal(a.Payload, b.Payload) {
		a2, b2 := *a, *b
		a2.Payload, b2.Payload = nil, nil
		if reflect.DeepEqual(a2, b2) {
			return nil
		}
	}
	return fmt.Errorf("hand decoder %+v payload %q\nlayer parser %+v payload %q", *a, a.Payload, *b, b.Payload)
}

// decodeBoth decodes data with Decode (the hand-written fast path first)
// and with the DecodingLayerParser alone, and says where they differ.
func decodeBoth(d *Decoder, lt LinkType, data []byte) (fast bool, err error) {
	var p1, p2 Packet
	ok1 := d.Decode(lt, data, &p1)
	ok2 := d.decodeLayers(lt, data, &p2)
	var p3 Packet
	fast = decodeFast(lt, data, &p3)
	if ok1 != ok2 {
		return fast, fmt.Errorf("Decode says %v, the layer parser %v", ok1, ok2)
	}
	return fast, samePacket(&p1, &p2)
}

// TestFastDecodeMatchesLayerParser decodes every frame of every capture at
// hand (the quirk captures in testdata/, the lab's real traffic, the public
// corpus) both ways: with the hand-written decoder for the common case and
// with gopacket's DecodingLayerParser alone. The Packets must be the same;
// and the fast path must be the one that decoded most TCP frames, or the
// speed it exists for is lost.
func TestFastDecodeMatchesLayerParser(t *testing.T) {
	files, _ := filepath.Glob("../testdata/*.pcap*")
	lab, _ := filepath.Glob("../lab/captures/*.pcap")
	files = append(files, lab...)
	if len(files) < 10 {
		t.Fatalf("only %d captures found in ../testdata and ../lab/captures", len(files))
	}
	t.Run("corpus", func(t *testing.T) {
		for _, name := range corpus.Files(t, ".pcap", ".pcapng", ".cap", ".pcap.gz") {
			checkFastDecode(t, name)
		}
	})
	var tcp, fast int
	for _, name := range files {
		n, f := checkFastDecode(t, name)
		tcp, fast = tcp+n, fast+f
	}
	t.Logf("%d captures, %d TCP frames, %d decoded by the fast path", len(files), tcp, fast)
	if fast*2 < tcp {
		t.Errorf("the fast path decoded only %d of %d TCP frames", fast, tcp)
	}
}

func checkFastDecode(t *testing.T, name string) (tcp, fast int) {
	f, err := OpenFile(name)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	defer f.Close()
	d := NewDecoder()
	var rec Record
	var p Packet
	for frame := 1; ; frame++ {
		err := f.ReadRecord(&rec)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			if filepath.Base(name) != "truncated.pcap" {
				t.Errorf("%v", err)
			}
			return
		}
		wasFast, err := decodeBoth(d, rec.Link, rec.Data)
		if err != nil {
			t.Errorf("%s frame %d: %v", name, frame, err)
			continue
		}
		if d.Decode(rec.Link, rec.Data, &p) && p.Kind == TCP {
			tcp++
			if wasFast {
				fast++
			}
		}
	}
}

// FuzzFastDecode: on any bytes, under any link type, the hand-written
// decoder and the layer parser agree.
func FuzzFastDecode(f *testing.F) {
	for _, name := range []string{"../testdata/vlan.pcap", "../testdata/qinq.pcap", "../testdata/raw-ip.pcap",
		"../testdata/ipv6-extension-headers.pcap", "../testdata/snaplen-96.pcap", "../testdata/data-failures.pcap"} {
		fl, err := OpenFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var rec Record
		for i := 0; i < 8 && fl.ReadRecord(&rec) == nil; i++ {
			f.Add(uint16(rec.Link), append([]byte(nil), rec.Data...))
		}
		fl.Close()
	}
	d := NewDecoder()
	f.Fuzz(func(t *testing.T, link uint16, data []byte) {
		lt := LinkType(link % 3)
		switch link % 3 {
		case 0:
			lt = layers.LinkTypeEthernet
		case 1:
			lt = layers.LinkTypeRaw
		case 2:
			lt = LinkType(link)
		}
		if !d.Supported(lt) {
			return
		}
		if _, err := decodeBoth(d, lt, data); err != nil {
			t.Fatal(err)
		}
	})
}
