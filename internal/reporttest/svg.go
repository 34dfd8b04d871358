// Package reporttest holds what the report tests share: SVG parsed the way
// they check it (a tree of nodes, searched by element and class), and a
// session whose every wire string is hostile.
package reporttest

import (
	"encoding/xml"
	"strings"
)

// Node is one XML element of a parsed SVG, with its attributes, children
// and character data (unmarshal an SVG document into it).
type Node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []Node     `xml:",any"`
	Text    string     `xml:",chardata"`
}

// Attr is the value of the attribute named name, or "".
func (n *Node) Attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// Walk calls fn for n and every node below it, in document order.
func (n *Node) Walk(fn func(*Node)) {
	fn(n)
	for i := range n.Nodes {
		n.Nodes[i].Walk(fn)
	}
}

// Rows returns the <g class="row ..."> elements below root: the ladder's
// rows.
func Rows(root *Node) []*Node {
	var rows []*Node
	root.Walk(func(n *Node) {
		if n.XMLName.Local == "g" && strings.HasPrefix(n.Attr("class"), "row ") {
			rows = append(rows, n)
		}
	})
	return rows
}

// HasClass reports whether n's class attribute lists c.
func HasClass(n *Node, c string) bool {
	for _, f := range strings.Fields(n.Attr("class")) {
		if f == c {
			return true
		}
	}
	return false
}

// ChildText is the text of the first node at or below n whose class is
// class.
func ChildText(n *Node, class string) string {
	var s string
	n.Walk(func(m *Node) {
		if m.Attr("class") == class && s == "" {
			s = m.Text
		}
	})
	return s
}
