package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/ftpsniff/ftpsniff/report"
	"github.com/ftpsniff/ftpsniff/report/ladder"
	"github.com/ftpsniff/ftpsniff/report/term"
)

// defaultScreenWidth is the width of the table report and the ladders
// written to a file or a pipe when $COLUMNS does not say otherwise.
const defaultScreenWidth = 100

// screenTerminal reports whether stdout is a terminal (a variable so that
// tests can pretend it is one).
var screenTerminal = isTerminal

// screenWidth is the width the table and the ladders are drawn in: the
// terminal's, else $COLUMNS, else defaultScreenWidth.
func screenWidth(stdout io.Writer) int {
	if f, ok := stdout.(*os.File); ok && screenTerminal(stdout) {
		if n := windowColumns(f); n > 0 {
			return n
		}
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return defaultScreenWidth
}

// screenColor says whether to colour the ladders: only on a terminal, and
// neither with --no-color nor with NO_COLOR set to anything
// (https://no-color.org) nor on a dumb terminal.
func screenColor(stdout io.Writer, noColor bool) bool {
	if noColor || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return screenTerminal(stdout)
}

// writeLadders draws the ladders --ladder asks for on stdout and returns
// the exit status: exitOK, exitUsage when no session has that ID, or
// exitRuntime when stdout fails.
func writeLadders(cfg config, in *report.Run, stdout, stderr io.Writer) int {
	id := cfg.ladder
	if id == "all" {
		id = ""
	}
	ladders := ladder.Ladders(in.Points, in.Path, id)
	if len(ladders) == 0 {
		var ids []string
		for _, r := range in.Points {
			for _, s := range r.Sessions {
				ids = append(ids, r.Point+":"+s.ID)
			}
		}
		if len(ids) == 0 {
			fmt.Fprintln(stderr, "ftpsniff: no FTP session to draw")
			if id == "" {
				return exitOK
			}
			return exitUsage
		}
		fmt.Fprintf(stderr, "ftpsniff: no session %s to draw (the sessions are %s)\n", strconv.Quote(term.Clean(cfg.ladder)), strings.Join(ids, ", "))
		return exitUsage
	}
	width, color := screenWidth(stdout), screenColor(stdout, cfg.noColor)
	for i, l := range ladders {
		if i > 0 {
			if _, err := io.WriteString(stdout, "\n"); err != nil {
				return ladderWriteError(err, stderr)
			}
		}
		if err := ladder.WriteText(stdout, l, width, color); err != nil {
			return ladderWriteError(err, stderr)
		}
	}
	return exitOK
}

func ladderWriteError(err error, stderr io.Writer) int {
	if errors.Is(err, syscall.EPIPE) {
		return exitOK
	}
	fmt.Fprintf(stderr, "ftpsniff: writing the ladders: %v\n", err)
	return exitRuntime
}

// ladderUsage checks --ladder against the other flags and arguments, and
// returns what is wrong ("" when nothing is).
func ladderUsage(cfg config, args []string) string {
	if cfg.ladder == "" {
		return ""
	}
	if cfg.format != "table" && cfg.output == "" {
		return fmt.Sprintf("--ladder draws on standard output instead of the report: give -o FILE for the %s report", cfg.format)
	}
	// "--ladder S3 x.pcap" reads S3 as a file: the session needs "=".
	if cfg.ladder == "all" {
		for _, a := range args {
			if _, err := os.Stat(a); err != nil && looksLikeSessionID(a) {
				return fmt.Sprintf("to draw session %s, write --ladder=%s (without \"=\", %s is read as a capture file)", a, a, a)
			}
		}
	}
	return ""
}

// looksLikeSessionID reports whether s is a session ID (S3) or POINT:S3.
func looksLikeSessionID(s string) bool {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) < 2 || s[0] != 'S' && s[0] != 's' {
		return false
	}
	_, err := strconv.Atoi(s[1:])
	return err == nil
}
