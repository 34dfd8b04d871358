package analyze_test

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/internal/corpus"
)

func corpusDir(t testing.TB) string { return corpus.Dir(t) }

func corpusCaptures(t testing.TB) []string { return corpus.Files(t, ".pcap", ".pcap.gz") }

func analyzeFile(t testing.TB, path string, opts analyze.Options) *analyze.Result {
	t.Helper()
	pt, err := capture.OpenPoint("test", []string{path})
	if err != nil {
		t.Fatal(err)
	}
	defer pt.Close()
	opts.Point, opts.Inputs = "test", []string{path}
	an := analyze.New(opts)
	var p capture.Packet
	for pt.Next(&p) == nil {
		an.Packet(&p)
	}
	for _, e := range pt.Errors {
		t.Errorf("reading %s: %v", path, e)
	}
	r := an.Finish()
	r.Capture = pt.Stats
	return r
}

func tsv(t testing.TB, path string) []map[string]string { return corpus.ReadTSV(t, path) }

func baseName(capturePath string) string {
	return strings.TrimSuffix(strings.TrimSuffix(capturePath, ".gz"), ".pcap")
}

// negKey is what tshark and ftpsniff must agree on for each negotiation.
type negKey struct {
	kind  string // PORT, 227, EPRT, 229
	frame uint64
	addr  netip.AddrPort
}

func (k negKey) String() string { return fmt.Sprintf("%s frame %d %s", k.kind, k.frame, k.addr) }

func tsharkNegotiations(t testing.TB, rows []map[string]string) map[negKey]bool {
	out := map[negKey]bool{}
	for _, r := range rows {
		frame, _ := strconv.ParseUint(r["frame.number"], 10, 64)
		add := func(kind, ip, port string) {
			if ip == "" || port == "" {
				return
			}
			// -E occurrence=a: several values joined by ';' in one frame.
			ips, ports := strings.Split(ip, ";"), strings.Split(port, ";")
			for i := range ips {
				if i >= len(ports) {
					break
				}
				a, err := netip.ParseAddr(ips[i])
				p, err2 := strconv.ParseUint(ports[i], 10, 16)
				if err != nil || err2 != nil {
					t.Errorf("frame %d: bad tshark %s value %q:%q", frame, kind, ips[i], ports[i])
					continue
				}
				out[negKey{kind, frame, netip.AddrPortFrom(a, uint16(p))}] = true
			}
		}
		add("PORT", r["ftp.active.cip"], r["ftp.active.port"])
		add("227", r["ftp.passive.ip"], r["ftp.passive.port"])
		add("EPRT", r["ftp.eprt.ip"], r["ftp.eprt.port"])
		add("EPRT", r["ftp.eprt.ipv6"], r["ftp.eprt.port"])
		epsvIP := r["ftp.epsv.ip"]
		if epsvIP == "" {
			epsvIP = r["ftp.epsv.ipv6"]
		}
		add("229", epsvIP, r["ftp.epsv.port"])
	}
	return out
}

func ourNegotiations(r *analyze.Result) map[negKey]bool {
	out := map[negKey]bool{}
	for _, s := range r.Sessions {
		for _, n := range s.Negotiations {
			if !n.Address.IsValid() || n.Inferred != "" {
				continue
			}
			kind := n.Command
			switch {
			case n.Mode.IsPassive() && n.Reply.Code != 0:
				kind = strconv.Itoa(n.Reply.Code)
			case kind == "LPRT":
				continue
			}
			out[negKey{kind, n.At.Frame, n.Address}] = true
		}
	}
	return out
}

// moreThanTshark lists, per corpus capture, the negotiations ftpsniff
// reports that tshark's dump lacks, and why ftpsniff is right. tshark
// parses only the first line of each segment and no reassembled lines.
var moreThanTshark = map[string]map[negKey]string{}

// TestCorpusNegotiations: every PORT/EPRT/227/229 that tshark decodes in the
// public corpus, ftpsniff reports with the same address, port and frame.
func TestCorpusNegotiations(t *testing.T) {
	for _, path := range corpusCaptures(t) {
		name := strings.TrimPrefix(path, corpusDir(t)+"/")
		t.Run(name, func(t *testing.T) {
			res := analyzeFile(t, path, analyze.Options{})
			want := tsharkNegotiations(t, tsv(t, baseName(path)+".tshark-ftp.tsv"))
			got := ourNegotiations(res)
			for k := range want {
				if !got[k] {
					t.Errorf("tshark decodes %v; ftpsniff does not report it", k)
				}
			}
			for k := range got {
				if want[k] {
					continue
				}
				if why, ok := moreThanTshark[name][k]; ok {
					t.Logf("more than tshark: %v (%s)", k, why)
					continue
				}
				t.Errorf("ftpsniff reports %v; tshark does not, and no reason is recorded", k)
			}
		})
	}
}

// TestCorpusDataConnections: every ftp-data connection tshark ties to a
// setup frame, ftpsniff ties to the negotiation at that frame, with the
// same endpoints.
func TestCorpusDataConnections(t *testing.T) {
	for _, path := range corpusCaptures(t) {
		name := strings.TrimPrefix(path, corpusDir(t)+"/")
		rows := tsv(t, baseName(path)+".tshark-ftpdata.tsv")
		if len(rows) == 0 {
			continue
		}
		t.Run(name, func(t *testing.T) {
			res := analyzeFile(t, path, analyze.Options{})
			byFrame := map[uint64]*analyze.Negotiation{}
			for _, s := range res.Sessions {
				for _, n := range s.Negotiations {
					byFrame[n.At.Frame] = n
					byFrame[n.CommandAt.Frame] = n
				}
			}
			for _, r := range rows {
				setup, _ := strconv.ParseUint(r["ftp-data.setup-frame"], 10, 64)
				ends := map[string]bool{}
				src, dst := r["ip.src"]+r["ipv6.src"], r["ip.dst"]+r["ipv6.dst"]
				ends[netip.AddrPortFrom(netip.MustParseAddr(src), uint16(atoi(r["tcp.srcport"]))).String()] = true
				ends[netip.AddrPortFrom(netip.MustParseAddr(dst), uint16(atoi(r["tcp.dstport"]))).String()] = true
				matches := func(n *analyze.Negotiation) bool {
					for _, d := range append([]*analyze.DataConn{n.Data}, n.Others...) {
						if d != nil && ends[d.Src.String()] && ends[d.Dst.String()] {
							return true
						}
					}
					return false
				}
				if r["ftp-data.setup-method"] == "" {
					// tshark recognised it by port 20 alone (setup-frame is
					// the connection's own first frame): ftpsniff must tie it
					// to some negotiation of the capture.
					found := false
					for _, s := range res.Sessions {
						for _, n := range s.Negotiations {
							found = found || matches(n)
						}
					}
					if !found {
						t.Errorf("tshark: port-20 stream %s (%s:%s -> %s:%s) is ftp-data; ftpsniff tied it to no negotiation",
							r["tcp.stream"], src, r["tcp.srcport"], dst, r["tcp.dstport"])
					}
					continue
				}
				n := byFrame[setup]
				if n == nil {
					t.Errorf("tshark: stream %s set up at frame %d; ftpsniff has no negotiation there", r["tcp.stream"], setup)
					continue
				}
				found := matches(n)
				if !found {
					t.Errorf("tshark: stream %s (%s:%s -> %s:%s) set up at frame %d; ftpsniff's negotiation there has data %+v",
						r["tcp.stream"], src, r["tcp.srcport"], dst, r["tcp.dstport"], setup, n.Data)
				}
			}
		})
	}
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }
