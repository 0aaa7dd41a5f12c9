//go:build !linux

package main

// stopWithParent is Linux-only; elsewhere the script's trap stops the demo.
func stopWithParent() {}
