// Package report formats what analyze found for people and programs: tables
// for a terminal, JSON Lines, Markdown and HTML (with each session's ladder
// from package report/ladder as inline SVG). It is where findings and
// records become text, and every string that came off the wire is escaped
// (term.Clean) before it can reach a terminal or a page.
package report
