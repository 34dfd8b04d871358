package main

import (
	"net"
	"strings"
	"testing"
)

// TestMetricsFlag: --metrics leaves the report as it is; an address that
// cannot be bound (taken, or not an address) is an error before anything
// is read.
func TestMetricsFlag(t *testing.T) {
	plain, _, code := ftpsniff(t, "-F", "json", "testdata/data-failures.pcap")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	out, stderr, code := ftpsniff(t, "-F", "json", "--metrics", "127.0.0.1:0", "testdata/data-failures.pcap")
	if code != exitOK || out != plain {
		t.Errorf("with --metrics: exit %d, report differs: %v; stderr %s", code, out != plain, stderr)
	}
	if !strings.Contains(stderr, "metrics at http://127.0.0.1:") {
		t.Errorf("stderr does not say where the metrics are: %q", stderr)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, addr := range []string{ln.Addr().String(), "no-such-address"} {
		out, stderr, code := ftpsniff(t, "-F", "json", "--metrics", addr, "testdata/data-failures.pcap")
		if code != exitRuntime || out != "" || !strings.Contains(stderr, "--metrics") {
			t.Errorf("--metrics %s: exit %d, want %d with a message naming --metrics; stdout %q stderr %q", addr, code, exitRuntime, out, stderr)
		}
	}
}
