// Package metrics counts what a run of ftpsniff decides, for a Prometheus
// server to scrape: packets read and kernel drops per capture point,
// sessions open and closed, transfers by outcome, findings by code and
// severity. It is a pipeline.Watcher; the command serves its Handler.
//
// The counts are those of the JSON report of the same run, counted when
// the report writes the record: a transfer when its verdict is streamed
// (live capture) or its session is let go, with the data state and final
// reply its record holds then; a finding when it is written with its
// transfer or its session, never twice (the report's own rule: a finding
// written with every transfer it explains is not written again); what is
// still open at the end when the run finishes. Packets are the summary's
// packets (every record read, duplicates included).
//
// Label values are bounded: points are the few capture points of the run,
// codes and severities the diagnose registry's, data states and reply
// classes a handful.
package metrics

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/diagnose"
)

// Prefix starts every metric's name.
const Prefix = "ftpsniff_"

// Metrics holds a run's counters. Its methods may be called from several
// goroutines at once.
type Metrics struct {
	reg *prometheus.Registry

	packets        *prometheus.CounterVec
	sessionsOpen   *prometheus.GaugeVec
	sessionsClosed *prometheus.CounterVec
	transfers      *prometheus.CounterVec
	findings       *prometheus.CounterVec
	kernel         *kernelCollector

	mu sync.Mutex
	// written holds the transfers counted before their session was let
	// go (streamed verdicts), with the codes of the findings counted with
	// each; found those findings, by "point code transfer-ID": what the
	// report does not write again. Both forget a session once it is let
	// go, as the report's stream does.
	written map[*analyze.Transfer][]string
	found   map[string]bool
}

// New returns the counters of a run, registered with a registry of their
// own, with the Go runtime's and the process's metrics (also prefixed).
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		packets: prometheus.NewCounterVec(prometheus.CounterOpts{Name: Prefix + "packets_total",
			Help: "Packets read at the capture point (the JSON summary's packets: every record, duplicates included)."}, []string{"point"}),
		sessionsOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: Prefix + "sessions_open",
			Help: "FTP control sessions begun and not yet finished."}, []string{"point"}),
		sessionsClosed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: Prefix + "sessions_closed_total",
			Help: "FTP control sessions finished (closed, idle past the timeout, or open when the run ended): the JSON session records."}, []string{"point"}),
		transfers: prometheus.NewCounterVec(prometheus.CounterOpts{Name: Prefix + "transfers_total",
			Help: "Transfers reported, by the JSON record's data.state and the class of its final reply (2xx..5xx, none)."}, []string{"point", "state", "reply"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: Prefix + "findings_total",
			Help: "Findings reported (the JSON finding records), by code and severity."}, []string{"code", "severity"}),
		kernel:  &kernelCollector{},
		written: map[*analyze.Transfer][]string{},
		found:   map[string]bool{},
	}
	m.reg.MustRegister(m.packets, m.sessionsOpen, m.sessionsClosed, m.transfers, m.findings, m.kernel)
	pre := prometheus.WrapRegistererWithPrefix(Prefix, m.reg)
	pre.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every code at each of its severities from the start, at 0: rate()
	// and increase() in alert rules see the first finding of a kind.
	for _, c := range diagnose.Registry() {
		for _, sev := range c.Severities {
			m.findings.WithLabelValues(string(c.Code), sev.String())
		}
	}
	return m
}

// Gatherer is what the metrics are read from (tests).
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// CountPackets counts the records pt reads (its OnRecord hook, which it
// chains): one atomic add per packet.
func (m *Metrics) CountPackets(pt *capture.Point) {
	c := m.packets.WithLabelValues(pt.Name)
	m.sessionsOpen.WithLabelValues(pt.Name)
	m.sessionsClosed.WithLabelValues(pt.Name)
	prev := pt.OnRecord
	if prev == nil {
		pt.OnRecord = func(int, *capture.Record) { c.Inc() }
		return
	}
	pt.OnRecord = func(input int, rec *capture.Record) {
		c.Inc()
		prev(input, rec)
	}
}

// KernelDrops reports a live capture point's kernel counters at each
// scrape: drops returns the packets the kernel received for its sockets
// and those it dropped, since the capture began (capture.FanIn.Drops).
func (m *Metrics) KernelDrops(point string, drops func() (received, dropped uint64)) {
	m.kernel.add(point, drops)
}

// SessionStarted counts a session begun (pipeline.Watcher).
func (m *Metrics) SessionStarted(point string, _ *analyze.Session) {
	m.sessionsOpen.WithLabelValues(point).Inc()
}

// Transfer counts a transfer whose verdict the report streamed, with the
// findings written with it (pipeline.Watcher).
func (m *Metrics) Transfer(point string, _ *analyze.Session, t *analyze.Transfer, findings []*diagnose.Finding) {
	m.countTransfer(point, t)
	m.mu.Lock()
	codes := m.written[t][:0:0]
	for _, f := range findings {
		m.found[point+" "+string(f.Code)+" "+t.ID] = true
		codes = append(codes, string(f.Code))
	}
	m.written[t] = codes
	m.mu.Unlock()
	for _, f := range findings {
		m.countFinding(f)
	}
}

// Session counts a session let go, its transfers and findings not
// counted yet (pipeline.Watcher).
func (m *Metrics) Session(point string, s *analyze.Session, findings []*diagnose.Finding) {
	m.sessionsOpen.WithLabelValues(point).Dec()
	m.sessionsClosed.WithLabelValues(point).Inc()
	m.report(point, []*analyze.Session{s}, findings, true)
}

// Finished counts what the final report holds beyond what was let go
// (pipeline.Watcher): the sessions still held, their transfers and
// findings not counted yet, and the path's findings.
func (m *Metrics) Finished(held []*diagnose.Point, path *diagnose.PathDiagnosis) {
	for _, p := range held {
		if p == nil || p.Result == nil {
			continue
		}
		if n := len(p.Sessions); n > 0 {
			m.sessionsOpen.WithLabelValues(p.Point).Sub(float64(n))
			m.sessionsClosed.WithLabelValues(p.Point).Add(float64(n))
		}
		m.report(p.Point, p.Sessions, p.Findings, false)
	}
	if path != nil {
		for _, f := range path.Findings() {
			m.countFinding(f)
		}
	}
}

// report counts the transfers of sessions and the findings the report
// writes with them: those not written before. forget lets go of what was
// remembered of the sessions.
func (m *Metrics) report(point string, sessions []*analyze.Session, findings []*diagnose.Finding, forget bool) {
	var count []*diagnose.Finding
	var ts []*analyze.Transfer
	m.mu.Lock()
	for _, s := range sessions {
		for _, t := range s.Transfers {
			if _, ok := m.written[t]; !ok {
				ts = append(ts, t)
			}
		}
	}
	for _, f := range findings {
		if !m.wrote(point, f) {
			count = append(count, f)
		}
	}
	if forget {
		for _, s := range sessions {
			for _, t := range s.Transfers {
				for _, c := range m.written[t] {
					delete(m.found, point+" "+c+" "+t.ID)
				}
				delete(m.written, t)
			}
		}
	}
	m.mu.Unlock()
	for _, t := range ts {
		m.countTransfer(point, t)
	}
	for _, f := range count {
		m.countFinding(f)
	}
}

// wrote reports whether f was written with every transfer it explains
// (m.mu held).
func (m *Metrics) wrote(point string, f *diagnose.Finding) bool {
	if len(f.Transfers) == 0 {
		return false
	}
	for _, t := range f.Transfers {
		if !m.found[point+" "+string(f.Code)+" "+t.ID] {
			return false
		}
	}
	return true
}

func (m *Metrics) countTransfer(point string, t *analyze.Transfer) {
	m.transfers.WithLabelValues(point, string(t.DataState()), ReplyClass(t.Final.Code)).Inc()
}

func (m *Metrics) countFinding(f *diagnose.Finding) {
	m.findings.WithLabelValues(string(f.Code), f.Severity.String()).Inc()
}

// ReplyClass is the label of a final reply code: "2xx" to "5xx", "none"
// without a final reply (the JSON record's reply is null), "other" for a
// code out of range.
func ReplyClass(code int) string {
	switch {
	case code == 0:
		return "none"
	case code >= 100 && code < 600:
		return strconv.Itoa(code/100) + "xx"
	}
	return "other"
}

// kernelCollector reads the live points' kernel counters at each scrape.
type kernelCollector struct {
	mu     sync.Mutex
	points []kernelPoint
}

type kernelPoint struct {
	name  string
	drops func() (uint64, uint64)
}

var (
	receivedDesc = prometheus.NewDesc(Prefix+"kernel_received_total",
		"Packets the kernel received for the capture point's sockets (live capture; the JSON summary's kernel_received).", []string{"point"}, nil)
	dropsDesc = prometheus.NewDesc(Prefix+"kernel_drops_total",
		"Packets the kernel dropped because ftpsniff did not read them fast enough (live capture; the JSON summary's kernel_drops).", []string{"point"}, nil)
)

func (k *kernelCollector) add(point string, drops func() (uint64, uint64)) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.points = append(k.points, kernelPoint{point, drops})
}

func (k *kernelCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- receivedDesc
	ch <- dropsDesc
}

func (k *kernelCollector) Collect(ch chan<- prometheus.Metric) {
	k.mu.Lock()
	points := append([]kernelPoint(nil), k.points...)
	k.mu.Unlock()
	for _, p := range points {
		rcv, drop := p.drops()
		ch <- prometheus.MustNewConstMetric(receivedDesc, prometheus.CounterValue, float64(rcv), p.name)
		ch <- prometheus.MustNewConstMetric(dropsDesc, prometheus.CounterValue, float64(drop), p.name)
	}
}
