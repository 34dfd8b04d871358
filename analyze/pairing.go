package analyze

// replyFits reports whether a reply code is a plausible answer to a command
// (RFC 959 section 5.4 "Command-Reply Sequences", RFC 2228, RFC 2428,
// RFC 3659), in the spirit of Zeek's cmd_reply_code table. Commands and
// replies are paired in order; this check keeps the pairing right when a
// segment was lost (a command never seen, or its reply never seen): a reply
// that fits no waiting command belongs to one the capture missed.
func replyFits(verb string, code int) bool {
	if code >= 400 {
		return true // refusals and errors answer anything
	}
	data := isDataCommand(verb)
	switch code {
	case 110, 120, 125, 150:
		return data
	case 226:
		return data || verb == "ABOR"
	case 250:
		return data || verb != "PASV" && verb != "EPSV" && verb != "LPSV" && verb != "PORT" && verb != "EPRT" &&
			verb != "LPRT" && verb != "USER" && verb != "PASS"
	case 227:
		return verb == "PASV"
	case 228:
		return verb == "LPSV"
	case 229:
		return verb == "EPSV" || verb == "PASV" // some servers answer PASV with 229
	case 234, 334, 235, 335, 336:
		return verb == "AUTH" || verb == "ADAT"
	case 230:
		return verb == "USER" || verb == "PASS" || verb == "ACCT" || verb == "ADAT"
	case 331, 332:
		return verb == "USER" || verb == "PASS"
	case 221:
		return verb == "QUIT" || verb == "REIN"
	case 220:
		return verb == "REIN"
	case 225:
		return verb == "ABOR"
	case 257:
		return verb == "PWD" || verb == "XPWD" || verb == "MKD" || verb == "XMKD"
	case 350:
		return verb == "RNFR" || verb == "REST"
	case 200:
		return !data && verb != "PASV" && verb != "LPSV" && verb != "USER" && verb != "PASS" && verb != "QUIT"
	case 202:
		return !data && verb != "PASV" && verb != "EPSV" && verb != "LPSV"
	}
	return !data || code >= 300
}

func isDataCommand(verb string) bool {
	switch verb {
	case "RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD":
		return true
	}
	return false
}
