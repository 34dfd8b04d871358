package term

// Colours are ANSI SGR parameters (ECMA-48 "Select Graphic Rendition"),
// written only when the caller asks for colour: a terminal, no --no-color,
// no NO_COLOR. Without colour no escape byte is ever written.
const (
	SGRError       = "1;31" // bold red
	SGRWarning     = "33"   // yellow
	SGRInfo        = "36"   // cyan
	SGRNegotiation = "1;35" // bold magenta: the line that carries a data address
	SGRBold        = "1"
	SGRDim         = "2"
)

// SeverityColor returns the SGR parameters for a severity ("error",
// "warning", "info"), or "" for none.
func SeverityColor(severity string) string {
	switch severity {
	case "error":
		return SGRError
	case "warning":
		return SGRWarning
	case "info":
		return SGRInfo
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
