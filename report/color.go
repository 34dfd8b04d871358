package report

// Colours are ANSI SGR parameters (ECMA-48 "Select Graphic Rendition"),
// written only when the caller asks for colour: a terminal, no --no-color,
// no NO_COLOR. Without colour no escape byte is ever written.
const (
	sgrError       = "1;31" // bold red
	sgrWarning     = "33"   // yellow
	sgrInfo        = "36"   // cyan
	sgrNegotiation = "1;35" // bold magenta: the line that carries a data address
	sgrBold        = "1"
	sgrDim         = "2"
)

// SeverityColor returns the SGR parameters for a severity ("error",
// "warning", "info"), or "" for none.
func SeverityColor(severity string) string {
	switch severity {
	case "error":
		return sgrError
	case "warning":
		return sgrWarning
	case "info":
		return sgrInfo
	}
	return ""
}

// Colorize wraps s in the SGR sequence sgr and a reset; s is returned as it
// is when sgr is "".
func Colorize(s, sgr string) string {
	if sgr == "" || s == "" {
		return s
	}
	return "\x1b[" + sgr + "m" + s + "\x1b[0m"
}
