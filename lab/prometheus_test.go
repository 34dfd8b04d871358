//go:build linux

package lab_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/internal/suite"
)

// TestPrometheus: a real Prometheus server (Debian's prometheus) scrapes a
// live ftpsniff --metrics every second while curl fetches files from
// vsftpd, some transfers failing four ways (a 550, a data connection
// refused, one answered by ICMP unreachable, one never answered); after a
// scrape that follows the traffic, ftpsniff is stopped with SIGINT, and
// what Prometheus's HTTP API answers must equal ftpsniff's JSON report of
// the same run: packets, kernel drops, sessions, transfers by data state
// and reply, findings by code and severity.
//
// Two namespaces joined by a veth pair: the client's (curl, ftpsniff -i on
// its end of the veth, Prometheus on its loopback, which ftpsniff's
// metrics address is on) and the server's (vsftpd). Nothing leaves them.
func TestPrometheus(t *testing.T) {
	names := []string{suite.Prometheus}
	if testing.Short() {
		suite.Skip(t, "-short (a Prometheus server scrapes live capture in network namespaces)", names...)
	}
	if os.Geteuid() != 0 {
		suite.Skip(t, "not root: network namespaces and live capture need root; run `sudo go test ./lab -run TestPrometheus`", names...)
	}
	if err := exec.Command("ip", "netns", "list").Run(); err != nil {
		suite.Unavailable(t, fmt.Sprintf("`ip netns` is not available (%v)", err), names...)
	}
	suite.Require(t, names, "lab", "metrics")
	for _, bin := range []string{"prometheus", "vsftpd", "curl", "iptables"} {
		if _, err := exec.LookPath(bin); err != nil {
			suite.Unavailable(t, bin+" is not installed after scripts/deps.sh lab metrics", names...)
		}
	}
	detail := "did not finish"
	suite.Track(t, suite.Prometheus, &detail)
	analyzer, err := buildAnalyzer(t)
	if err != nil {
		suite.Unavailable(t, "building ftpsniff: "+err.Error(), names...)
	}

	w := newPromLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// ftpsniff on the client's end of the veth, its metrics on the
	// client namespace's loopback, where Prometheus runs too.
	report := filepath.Join(w.dir, "live.json")
	sniffErr := filepath.Join(w.dir, "ftpsniff.err")
	sniff := w.start(ctx, "cli", sniffErr, analyzer, "-i", "cli0", "-q", "--metrics", "127.0.0.1:9187", "-F", "json", "-o", report)
	w.waitHTTP(ctx, "http://127.0.0.1:9187/metrics", sniffErr)

	cfg := filepath.Join(w.dir, "prometheus.yml")
	must(t, os.WriteFile(cfg, []byte(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: ftpsniff
    static_configs:
      - targets: ['127.0.0.1:9187']
`), 0o644))
	promErr := filepath.Join(w.dir, "prometheus.err")
	prom := w.start(ctx, "cli", promErr, "prometheus", "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(w.dir, "tsdb"),
		"--web.listen-address=127.0.0.1:9090", "--log.level=warn")
	w.waitHTTP(ctx, "http://127.0.0.1:9090/-/ready", promErr)

	// The transfers: two passive downloads and an active one succeed; a
	// missing file is refused (550); three active ones fail on the data
	// connection, which the client's firewall refuses (TCP reset),
	// answers with ICMP port unreachable, or drops.
	srv := "ftp://10.9.0.2/"
	get := func(file string, args ...string) {
		full := append([]string{"-sS", "--connect-timeout", "3", "-m", "10", "-o", "/dev/null", "--user", "anonymous:lab@ftpsniff.invalid", srv + file}, args...)
		out, err := w.ns(ctx, "cli", "curl", full...).CombinedOutput()
		t.Logf("curl %s %s: %v %s", file, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	get("small.bin", "--disable-epsv")
	get("small.bin")
	get("small.bin", "-P", "10.9.0.1:40001", "--disable-eprt")
	// Active, so that the server opens no data connection: a session whose
	// data connection outlives its control connection is let go only by
	// the analysis's periodic clean-up, which runs on later packets.
	get("missing.bin", "-P", "10.9.0.1:40005", "--disable-eprt")
	get("small.bin", "-P", "10.9.0.1:40002", "--disable-eprt")
	get("small.bin", "-P", "10.9.0.1:40003", "--disable-eprt")
	get("small.bin", "-P", "10.9.0.1:40004", "--disable-eprt")
	trafficEnd := time.Now()

	// Wait until Prometheus has scraped ftpsniff after the traffic, with
	// every session finished (curl quits; the session closes with it).
	var at float64
	for wait := time.Now().Add(20 * time.Second); ; {
		ts := w.query(ctx, "timestamp(ftpsniff_packets_total)", 0)
		open := w.query(ctx, "sum(ftpsniff_sessions_open)", 0)
		if time.Now().After(wait) {
			sniff.Process.Signal(syscall.SIGINT)
			sniff.Wait()
			t.Fatalf("the report: %s\n"+"Prometheus did not scrape ftpsniff after the traffic (ended at %.3f) with no session open: last scrape %v, sessions open %v; ftpsniff: %s\nprometheus: %s",
				readTail(report), float64(trafficEnd.UnixMilli())/1000, ts, open, readTail(sniffErr), readTail(promErr))
		}
		if len(ts) == 1 && ts[0].value > float64(trafficEnd.UnixMilli())/1000+0.5 && len(open) == 1 && open[0].value == 0 {
			at = ts[0].value
			break
		}
		time.Sleep(250 * time.Millisecond)
	}

	// SIGINT, as a person ends the capture: the report follows. Then the
	// queries, at the time of that last scrape (the target is gone since,
	// and its series are stale after it).
	if err := sniff.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := sniff.Wait(); err != nil {
		t.Fatalf("ftpsniff ended with %v on SIGINT: %s", err, readTail(sniffErr))
	}
	recs := readRecords(t, report)
	if len(recs) == 0 || recs[len(recs)-1].Type != "summary" {
		t.Fatalf("the report does not end with a summary: %s", readTail(report))
	}
	var sum struct {
		Packets        float64 `json:"packets"`
		KernelReceived *float64
		KernelDrops    *float64 `json:"kernel_drops"`
	}
	b, _ := os.ReadFile(report)
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	must(t, json.Unmarshal(lines[len(lines)-1], &sum))

	want := map[string]float64{"packets": sum.Packets}
	if sum.KernelDrops != nil {
		want["kernel_drops"] = *sum.KernelDrops
	}
	for _, r := range recs {
		switch r.Type {
		case "session":
			want["sessions"]++
		case "transfer":
			reply := "none"
			if r.Reply != nil {
				reply = fmt.Sprintf("%dxx", r.Reply.Code/100)
			}
			want["transfers{state="+r.Data.State+",reply="+reply+"}"]++
		case "finding":
			want["findings{code="+r.findingCode()+",severity="+r.Severity+"}"]++
		}
	}
	got := map[string]float64{}
	for _, s := range w.query(ctx, "sum(ftpsniff_packets_total)", at) {
		got["packets"] = s.value
	}
	for _, s := range w.query(ctx, "sum(ftpsniff_kernel_drops_total)", at) {
		got["kernel_drops"] = s.value
	}
	for _, s := range w.query(ctx, "sum(ftpsniff_sessions_closed_total)", at) {
		got["sessions"] = s.value
	}
	for _, s := range w.query(ctx, "ftpsniff_transfers_total > 0", at) {
		got["transfers{state="+s.labels["state"]+",reply="+s.labels["reply"]+"}"] = s.value
	}
	for _, s := range w.query(ctx, "ftpsniff_findings_total > 0", at) {
		got["findings{code="+s.labels["code"]+",severity="+s.labels["severity"]+"}"] = s.value
	}
	var table []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		table = append(table, fmt.Sprintf("%s %v", k, want[k]))
		if got[k] != want[k] {
			t.Errorf("%s: Prometheus has %v, the JSON report %v", k, got[k], want[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: Prometheus has %v, the JSON report none", k, got[k])
		}
	}
	t.Logf("Prometheus and the JSON report agree on:\n%s", strings.Join(table, "\n"))
	// The run must have shown what the test is about: failing transfers
	// of several kinds, each with its finding.
	for _, k := range []string{"transfers{state=established,reply=2xx}", "transfers{state=refused,reply=4xx}",
		"transfers{state=unreachable,reply=4xx}", "transfers{state=no-answer,reply=4xx}",
		"findings{code=data-refused,severity=error}", "findings{code=data-unreachable,severity=error}", "findings{code=data-no-answer,severity=error}"} {
		if want[k] == 0 {
			t.Errorf("the run has no %s: the traffic did not fail as planned", k)
		}
	}
	prom.Process.Signal(syscall.SIGTERM)
	prom.Wait()
	if !t.Failed() {
		detail = fmt.Sprintf("Prometheus scraped ftpsniff --metrics during %d transfers; its counters equal the JSON report's", int(sumPrefix(want, "transfers{")))
	}
}

func sumPrefix(m map[string]float64, prefix string) float64 {
	var n float64
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			n += v
		}
	}
	return n
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func readTail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// promLab is the two namespaces of TestPrometheus.
type promLab struct {
	t      *testing.T
	prefix string
	dir    string
}

// newPromLab builds the namespaces, the veth between them (10.9.0.1 the
// client, 10.9.0.2 the server; no IPv6, so that nothing but the test's
// traffic is captured), the client's firewall and vsftpd; the test's
// cleanup ends their processes and deletes them.
func newPromLab(t *testing.T) *promLab {
	w := &promLab{t: t, prefix: fmt.Sprintf("ftpprom-%d", os.Getpid()), dir: t.TempDir()}
	must(t, os.Chmod(w.dir, 0o755))
	t.Cleanup(w.destroy)
	sh := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			suite.Unavailable(t, fmt.Sprintf("%s: %v: %s", strings.Join(args, " "), err, out), suite.Prometheus)
		}
	}
	cli, srv := w.prefix+"-cli", w.prefix+"-srv"
	sh("ip", "netns", "add", cli)
	sh("ip", "netns", "add", srv)
	for _, ns := range []string{cli, srv} {
		sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
		sh("ip", "-n", ns, "link", "set", "lo", "up")
	}
	sh("ip", "-n", cli, "link", "add", "cli0", "type", "veth", "peer", "name", "srv0", "netns", srv)
	sh("ip", "-n", cli, "addr", "add", "10.9.0.1/24", "dev", "cli0")
	sh("ip", "-n", srv, "addr", "add", "10.9.0.2/24", "dev", "srv0")
	sh("ip", "-n", cli, "link", "set", "cli0", "up")
	sh("ip", "-n", srv, "link", "set", "srv0", "up")
	// The client's firewall fails three active data connections three ways.
	sh("ip", "netns", "exec", cli, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "40002", "-j", "REJECT", "--reject-with", "tcp-reset")
	sh("ip", "netns", "exec", cli, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "40003", "-j", "REJECT", "--reject-with", "icmp-port-unreachable")
	sh("ip", "netns", "exec", cli, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "40004", "-j", "DROP")

	root, empty := filepath.Join(w.dir, "root"), filepath.Join(w.dir, "empty")
	must(t, os.MkdirAll(root, 0o755))
	must(t, os.MkdirAll(empty, 0o755))
	must(t, os.WriteFile(filepath.Join(root, "small.bin"), bytes.Repeat([]byte("ftpsniff metrics "), 4096), 0o644))
	conf := filepath.Join(w.dir, "vsftpd.conf")
	must(t, os.WriteFile(conf, []byte(`listen=YES
listen_ipv6=NO
listen_address=10.9.0.2
listen_port=21
background=NO
anonymous_enable=YES
no_anon_password=YES
local_enable=NO
anon_root=`+root+`
ftp_username=ftp
write_enable=NO
connect_from_port_20=YES
port_enable=YES
port_promiscuous=NO
pasv_enable=YES
pasv_min_port=30000
pasv_max_port=30010
accept_timeout=3
connect_timeout=2
data_connection_timeout=10
idle_session_timeout=30
secure_chroot_dir=`+empty+`
seccomp_sandbox=NO
syslog_enable=NO
hide_ids=YES
`), 0o644))
	w.start(context.Background(), "srv", filepath.Join(w.dir, "vsftpd.err"), "vsftpd", conf)
	deadline := time.Now().Add(10 * time.Second)
	for exec.Command("ip", "netns", "exec", srv, "sh", "-c", "ss -ltn | grep -q 10.9.0.2:21").Run() != nil {
		if time.Now().After(deadline) {
			suite.Unavailable(t, "vsftpd did not listen: "+readTail(filepath.Join(w.dir, "vsftpd.err")), suite.Prometheus)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return w
}

// ns returns a command run in one of the namespaces (cli, srv).
func (w *promLab) ns(ctx context.Context, name, bin string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", w.prefix + "-" + name, bin}, args...)...)
}

// start starts bin in a namespace, its output to errFile.
func (w *promLab) start(ctx context.Context, name, errFile, bin string, args ...string) *exec.Cmd {
	w.t.Helper()
	f, err := os.Create(errFile)
	must(w.t, err)
	defer f.Close()
	cmd := w.ns(ctx, name, bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		suite.Unavailable(w.t, fmt.Sprintf("starting %s: %v", bin, err), suite.Prometheus)
	}
	return cmd
}

// waitHTTP waits until a URL in the client namespace answers 200.
func (w *promLab) waitHTTP(ctx context.Context, u, errFile string) {
	w.t.Helper()
	for w.ns(ctx, "cli", "curl", "-sf", "-o", "/dev/null", u).Run() != nil {
		if ctx.Err() != nil {
			w.t.Fatalf("%s did not answer: %s", u, readTail(errFile))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// sample is one element of an instant vector.
type sample struct {
	labels map[string]string
	value  float64
}

// query asks Prometheus's HTTP API for an instant vector, evaluated at
// the Unix time at (0: now).
func (w *promLab) query(ctx context.Context, q string, at float64) []sample {
	w.t.Helper()
	args := []string{"-sS", "-G", "--data-urlencode", "query=" + q}
	if at != 0 {
		args = append(args, "--data-urlencode", "time="+strconv.FormatFloat(at, 'f', 3, 64))
	}
	out, err := w.ns(ctx, "cli", "curl", append(args, "http://127.0.0.1:9090/api/v1/query")...).Output()
	if err != nil {
		w.t.Fatalf("query %s: %v", url.QueryEscape(q), err)
	}
	var r struct {
		Status string
		Error  string
		Data   struct {
			ResultType string
			Result     []struct {
				Metric map[string]string
				Value  [2]any
			}
		}
	}
	if err := json.Unmarshal(out, &r); err != nil || r.Status != "success" {
		w.t.Fatalf("query %s: %v %s: %s", q, err, r.Error, out)
	}
	var res []sample
	for _, x := range r.Data.Result {
		s, _ := x.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			w.t.Fatalf("query %s: value %v", q, x.Value)
		}
		res = append(res, sample{x.Metric, v})
	}
	return res
}

// destroy ends every process left in the namespaces (those this test
// started) and deletes them.
func (w *promLab) destroy() {
	for _, ns := range []string{w.prefix + "-cli", w.prefix + "-srv"} {
		out, _ := exec.Command("ip", "netns", "pids", ns).Output()
		for _, f := range strings.Fields(string(out)) {
			if pid, err := strconv.Atoi(f); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	time.Sleep(100 * time.Millisecond)
	for _, ns := range []string{w.prefix + "-cli", w.prefix + "-srv"} {
		exec.Command("ip", "netns", "del", ns).Run()
	}
}
