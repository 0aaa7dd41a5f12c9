package probes

//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target amd64,arm64 -type event -type pid_cfg gopulse ../bpf/gopulse.bpf.c -- -I../bpf
