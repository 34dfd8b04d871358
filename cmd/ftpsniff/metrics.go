package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/ftpsniff/ftpsniff/metrics"
)

// serveMetrics serves m at http://ADDR/metrics (--metrics) until stop is
// called. The address is bound now, so that a port in use is an error
// before the capture begins.
func serveMetrics(addr string, m *metrics.Metrics, stderr io.Writer) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	fmt.Fprintf(stderr, "ftpsniff: metrics at http://%s/metrics\n", ln.Addr())
	return func() { srv.Close() }, nil
}
