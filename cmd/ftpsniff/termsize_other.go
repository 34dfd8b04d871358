//go:build !unix

package main

import "os"

// windowColumns: not asked outside Unix; $COLUMNS or 80 is used.
func windowColumns(*os.File) int { return 0 }
