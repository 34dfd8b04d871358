package ladder

import (
	"bufio"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ftpsniff/ftpsniff/report/term"
)

// The SVG ladder: one lifeline per column, one row per event, top to
// bottom in time order, the time of each row at the left. Colours are
// presentation attributes, not CSS, so the drawing looks the same inline in
// the HTML report and saved on its own; the classes and data attributes are
// for the page's stylesheet and for tests:
//
//	<svg class="ladder" data-session="S1" data-rows="12">
//	<g class="lifeline" data-role="client" data-column="0">
//	<g class="row arrow data dies sev-error" data-kind="data" data-from="0"
//	   data-to="1" data-stop="1" data-frame="15" data-point="client-lan" data-severity="error">
//	   ... <text class="stop-mark">✕</text>
//	<g class="row box finding sev-error" data-kind="finding" data-code="data-no-answer">
//
// A packet lost between two capture points (Row.StopBeyond) has
// data-stop-beyond="true" and its ✕ midway between column data-stop and
// the next; an answer sent from there (Row.FromBeyond) data-from-beyond.
// Every row has a <title> (the browser's tooltip) with its full text and
// its evidence: capture point, file, frame, and the frame at every point
// that saw it.
const (
	svgTimeW   = 84  // the time column
	svgSidePad = 150 // room left of the first lifeline and right of the last, for boxes
	svgRowH    = 40
	svgHeadH   = 52  // a column's heading box
	svgCharW   = 6.8 // monospace 12 px
	svgBoldW   = 7.4 // bold sans-serif 12 px, on average
	svgArrowHd = 9   // arrowhead length
	svgMaxTip  = 400 // runes of a label or detail in a tooltip
)

// Colours: severities, then kinds.
var (
	sevColour = map[string]string{"error": "#c62828", "warning": "#e65100", "info": "#1565c0"}
	sevFill   = map[string]string{"error": "#fdecea", "warning": "#fff3e0", "info": "#e8f1fb"}
	kindInk   = map[RowKind]string{RowCommand: "#212121", RowReply: "#546e7a", RowNegotiation: "#6a1b9a",
		RowData: "#2e7d32", RowRewrite: "#4527a0", RowFinding: "#c62828", RowNote: "#616161"}
	kindFill = map[RowKind]string{RowRewrite: "#ede7f6", RowNote: "#f5f5f5", RowNegotiation: "#f3e5f5", RowFinding: "#fdecea"}
)

// svgText makes a string safe inside SVG/XML text or an attribute: strings
// from the ladder builder went through Clean already (and are kept as they
// are); anything else with a control or format character is cleaned here,
// so no raw escape sequence reaches the page.
func svgText(s string) string {
	if !term.IsSafe(s) {
		s = term.Clean(s)
	}
	return template.HTMLEscapeString(s)
}

// fmtAt writes a row's time: seconds since the session started.
func fmtAt(d time.Duration) string {
	return "+" + strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + " s"
}

// WriteSVG draws l as one standalone SVG element (it can be saved as
// an .svg file or placed inline in HTML).
func WriteSVG(w io.Writer, l *Ladder) error {
	bw := bufio.NewWriter(w)
	ncol := len(l.Columns)
	gap := 420
	switch {
	case ncol == 3:
		gap = 300
	case ncol > 3:
		gap = 240
	}
	colX := func(i int) float64 {
		if i < 0 {
			i = 0
		}
		if ncol > 0 && i >= ncol {
			i = ncol - 1
		}
		return float64(svgTimeW + svgSidePad + i*gap)
	}
	width := svgTimeW + 2*svgSidePad
	if ncol > 1 {
		width += (ncol - 1) * gap
	}
	titleY := 18
	notesY := titleY + 18
	headY := notesY + 16*len(l.Notes)
	rowsY := headY + svgHeadH + 28 // the first row's arrow
	height := rowsY + len(l.Rows)*svgRowH

	title := l.Title // it names the session
	if title == "" {
		title = l.Session
	}
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" class="ladder" data-session="%s" data-rows="%d" data-columns="%d" width="%d" height="%d" viewBox="0 0 %d %d" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12" role="img" aria-label="%s">`+"\n",
		svgText(l.Session), len(l.Rows), ncol, width, height, width, height, svgText("ladder diagram of "+title))
	fmt.Fprintf(bw, "<title>%s</title>\n", svgText(title))
	fmt.Fprintf(bw, `<rect class="background" x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	fmt.Fprintf(bw, `<text class="ladder-title" x="8" y="%d" font-size="14" font-weight="600" fill="#212121">%s</text>`+"\n", titleY, svgText(term.TruncateRunes(title, width/8)))
	for i, n := range l.Notes {
		fmt.Fprintf(bw, `<text class="ladder-note" x="8" y="%d" font-size="11" fill="#616161">%s</text>`+"\n", notesY+16*i, svgText(term.TruncateRunes(n, int(float64(width-16)/6.2))))
	}
	if ncol == 0 {
		fmt.Fprintf(bw, `<text x="8" y="%d" fill="#616161">(nothing to draw: no endpoints)</text>`+"\n", headY+20)
		bw.WriteString("</svg>\n")
		return bw.Flush()
	}

	// Lifelines with their headings.
	fmt.Fprintf(bw, `<text class="time-heading" x="%d" y="%d" text-anchor="end" font-size="11" fill="#757575">time</text>`+"\n", svgTimeW-8, headY+svgHeadH-4)
	boxW := float64(gap) - 24
	if ncol == 1 {
		boxW = 2*svgSidePad - 24
	}
	if boxW > 260 {
		boxW = 260
	}
	for i, c := range l.Columns {
		x := colX(i)
		fmt.Fprintf(bw, `<g class="lifeline" data-role="%s" data-column="%d">`, svgText(string(c.Role)), i)
		fmt.Fprintf(bw, "<title>%s</title>", svgText(strings.TrimSpace(c.Name+" "+strings.Join(c.Addr, ", "))))
		fmt.Fprintf(bw, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#9e9e9e" stroke-width="1" stroke-dasharray="3 3"/>`, x, headY+svgHeadH, x, height-6)
		fill := "#eceff1"
		switch c.Role {
		case RoleNAT:
			fill = "#ede7f6"
		case RoleFirewall:
			fill = "#fff3e0"
		case RolePoint:
			fill = "#e3f2fd"
		}
		fmt.Fprintf(bw, `<rect x="%.1f" y="%d" width="%.1f" height="%d" rx="5" fill="%s" stroke="#78909c"/>`, x-boxW/2, headY, boxW, svgHeadH, fill)
		fmt.Fprintf(bw, `<text class="column-name" x="%.1f" y="%d" text-anchor="middle" font-weight="600" font-size="13" fill="#212121">%s</text>`, x, headY+16, svgText(term.TruncateRunes(c.Name, int(boxW/7.5))))
		addrs := c.Addr
		if len(addrs) > 2 {
			addrs = []string{c.Addr[0], fmt.Sprintf("%s (+%d more)", c.Addr[1], len(c.Addr)-2)}
		}
		for j, a := range addrs {
			fmt.Fprintf(bw, `<text class="column-addr" x="%.1f" y="%d" text-anchor="middle" font-size="11" fill="#455a64">%s</text>`, x, headY+31+12*j, svgText(term.TruncateRunes(a, int(boxW/6.2))))
		}
		bw.WriteString("</g>\n")
	}

	for i, r := range l.Rows {
		y := float64(rowsY + i*svgRowH)
		writeSVGRow(bw, l, r, y, width, colX)
	}
	bw.WriteString("</svg>\n")
	return bw.Flush()
}

func writeSVGRow(bw *bufio.Writer, l *Ladder, r Row, y float64, width int, colX func(int) float64) {
	ncol := len(l.Columns)
	valid := func(i int) bool { return i >= 0 && i < ncol }
	from, to := r.From, r.To
	if !valid(from) {
		from = 0
	}
	isArrow := valid(to) && to != from && isArrowKind(r.Kind)
	stop := -1
	if isArrow && valid(r.Stop) {
		stop = r.Stop
	}
	colDir := 1
	if to < from {
		colDir = -1
	}
	// A stop between two columns, and a tail between two.
	stopBeyond := stop >= 0 && r.StopBeyond && valid(stop+colDir)
	fromBeyond := isArrow && r.FromBeyond && valid(from-colDir)
	ink := kindInk[r.Kind]
	if ink == "" {
		ink = "#212121"
	}
	if c, ok := sevColour[r.Severity]; ok {
		ink = c
	}

	classes := []string{"row"}
	if isArrow {
		classes = append(classes, "arrow")
	} else {
		classes = append(classes, "box")
	}
	classes = append(classes, cssToken(string(r.Kind)))
	if stop >= 0 {
		classes = append(classes, "dies")
	}
	if stopBeyond {
		classes = append(classes, "dies-between")
	}
	if r.Severity != "" {
		classes = append(classes, "sev-"+cssToken(r.Severity))
	}
	fmt.Fprintf(bw, `<g class="%s" data-kind="%s" data-from="%d" data-to="%d" data-stop="%d"`,
		strings.Join(classes, " "), svgText(string(r.Kind)), r.From, r.To, stop)
	if stopBeyond {
		bw.WriteString(` data-stop-beyond="true"`)
	}
	if fromBeyond {
		bw.WriteString(` data-from-beyond="true"`)
	}
	if r.Frame != 0 {
		fmt.Fprintf(bw, ` data-frame="%d"`, r.Frame)
	}
	if r.Point != "" {
		fmt.Fprintf(bw, ` data-point="%s"`, svgText(r.Point))
	}
	if r.Severity != "" {
		fmt.Fprintf(bw, ` data-severity="%s"`, svgText(r.Severity))
	}
	if r.Code != "" {
		fmt.Fprintf(bw, ` data-code="%s"`, svgText(r.Code))
	}
	bw.WriteString(">")

	// The tooltip: everything, with the evidence.
	tip := []string{term.TruncateRunes(r.Label, svgMaxTip)}
	if r.Detail != "" {
		tip = append(tip, term.TruncateRunes(r.Detail, svgMaxTip))
	}
	if r.Code != "" {
		tip = append(tip, string(r.Kind)+": "+r.Code)
	}
	var ev []string
	if r.Point != "" {
		ev = append(ev, "point "+r.Point)
	}
	if r.File != "" {
		ev = append(ev, "file "+r.File)
	}
	if r.Frame != 0 {
		ev = append(ev, "frame "+strconv.FormatUint(r.Frame, 10))
	}
	if len(ev) > 0 {
		tip = append(tip, strings.Join(ev, ", "))
	}
	if len(r.Seen) > 0 {
		seen := r.Seen
		if len(seen) > 12 {
			seen = append(seen[:12:12], "…")
		}
		tip = append(tip, "seen at "+strings.Join(seen, ", "))
	}
	tip = append(tip, fmtAt(r.At)+" after the session started")
	for i := range tip {
		tip[i] = svgText(tip[i]) // each part apart: the newlines between them stay newlines
	}
	fmt.Fprintf(bw, "<title>%s</title>", strings.Join(tip, "\n"))

	// Negotiations stand out: a band across the whole ladder.
	if r.Kind == RowNegotiation {
		fmt.Fprintf(bw, `<rect class="highlight" x="2" y="%.1f" width="%d" height="%d" fill="#fff8d6"/>`, y-svgRowH/2-2, width-4, svgRowH-4)
	}
	fmt.Fprintf(bw, `<text class="time" x="%d" y="%.1f" text-anchor="end" font-size="11" fill="#757575">%s</text>`, svgTimeW-8, y+4, fmtAt(r.At))

	if !isArrow {
		x := colX(from)
		if valid(to) && to != from {
			x = (colX(from) + colX(to)) / 2 // between two columns
		}
		writeSVGBox(bw, r, y, width, x, ink)
		bw.WriteString("</g>\n")
		return
	}

	x1, x2 := colX(from), colX(to)
	if fromBeyond {
		x1 = (x1 + colX(from-colDir)) / 2
		fmt.Fprintf(bw, `<circle class="tail" cx="%.1f" cy="%.1f" r="3" fill="%s"/>`, x1, y, ink)
	}
	dir := 1.0
	if x2 < x1 {
		dir = -1
	}
	sw := "1.4"
	dash := ""
	switch r.Kind {
	case RowReply:
		dash = ` stroke-dasharray="6 4"`
	case RowNegotiation:
		sw = "2.2"
	case RowData:
		sw = "3"
	}
	end := x2
	if stop >= 0 {
		end = colX(stop)
		if stopBeyond {
			end = (end + colX(stop+colDir)) / 2
		}
		if (end-x1)*dir <= 0 { // dies where it starts: a short stub
			end = x1 + dir*36
		}
		// Where it was going, faintly.
		fmt.Fprintf(bw, `<line class="intended" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#bdbdbd" stroke-width="1" stroke-dasharray="2 4"/>`, end, y, x2, y)
		fmt.Fprintf(bw, `<line class="shaft" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%s"%s/>`, x1, y, end-dir*7, y, ink, sw, dash)
		fmt.Fprintf(bw, `<text class="stop-mark" x="%.1f" y="%.1f" text-anchor="middle" font-size="17" font-weight="700" fill="#d50000">✕</text>`, end, y+6)
	} else {
		fmt.Fprintf(bw, `<line class="shaft" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%s"%s/>`, x1, y, x2-dir*svgArrowHd, y, ink, sw, dash)
		fmt.Fprintf(bw, `<path class="head" d="M%.1f %.1fL%.1f %.1fL%.1f %.1fZ" fill="%s"/>`,
			x2, y, x2-dir*svgArrowHd*1.4, y-5, x2-dir*svgArrowHd*1.4, y+5, ink)
	}
	span := x2 - x1
	if span < 0 {
		span = -span
	}
	chars := int((span - 16) / svgCharW)
	mid := (x1 + x2) / 2
	weight := ""
	if r.Kind == RowNegotiation || r.Kind == RowData {
		weight = ` font-weight="600"`
	}
	fmt.Fprintf(bw, `<text class="label" x="%.1f" y="%.1f" text-anchor="middle" fill="%s"%s font-family="ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace">%s</text>`,
		mid, y-8, ink, weight, svgText(term.TruncateRunes(r.Label, chars)))
	if r.Detail != "" {
		fmt.Fprintf(bw, `<text class="detail" x="%.1f" y="%.1f" text-anchor="middle" font-size="11" fill="%s">%s</text>`,
			mid, y+17, detailInk(r, ink), svgText(term.TruncateRunes(r.Detail, int((span-16)/6.2))))
	}
	bw.WriteString("</g>\n")
}

func detailInk(r Row, ink string) string {
	if r.Severity != "" {
		return ink
	}
	return "#616161"
}

// writeSVGBox draws a row that stands on one column: a rewrite, a finding,
// a note.
func writeSVGBox(bw *bufio.Writer, r Row, y float64, width int, x float64, ink string) {
	label := r.Label
	if r.Kind == RowFinding && r.Code != "" && !strings.Contains(label, r.Code) {
		label = r.Code + ": " + label
	}
	text := utf8.RuneCountInString(label)
	if n := utf8.RuneCountInString(r.Detail); n > text {
		text = n
	}
	w := float64(text)*svgBoldW + 20
	if w < 90 {
		w = 90
	}
	if lim := float64(width - svgTimeW - 8); w > lim {
		w = lim
	}
	left := x - w/2
	if left < svgTimeW+2 {
		left = svgTimeW + 2
	}
	if left+w > float64(width-4) {
		left = float64(width-4) - w
	}
	fill := kindFill[r.Kind]
	if f, ok := sevFill[r.Severity]; ok {
		fill = f
	}
	if fill == "" {
		fill = "#f5f5f5"
	}
	h := 22.0
	if r.Detail != "" {
		h = 30
	}
	fmt.Fprintf(bw, `<rect class="box-frame" x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="4" fill="%s" stroke="%s" stroke-width="1.2"/>`, left, y-h/2, w, h, fill, ink)
	chars := int((w - 16) / svgBoldW)
	ly := y + 4
	if r.Detail != "" {
		ly = y - 2
	}
	fmt.Fprintf(bw, `<text class="label" x="%.1f" y="%.1f" text-anchor="middle" fill="%s" font-weight="600">%s</text>`, left+w/2, ly, ink, svgText(term.TruncateRunes(label, chars)))
	if r.Detail != "" {
		fmt.Fprintf(bw, `<text class="detail" x="%.1f" y="%.1f" text-anchor="middle" font-size="11" fill="#424242">%s</text>`, left+w/2, y+11, svgText(term.TruncateRunes(r.Detail, int((w-14)/6.2))))
	}
}

// cssToken keeps a class name to letters, digits and dashes.
func cssToken(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, s)
}
