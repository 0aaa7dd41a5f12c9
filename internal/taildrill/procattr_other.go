//go:build !linux

package taildrill

import "syscall"

func procAttr() *syscall.SysProcAttr { return nil }
