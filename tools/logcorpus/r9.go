package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The ninth round (2026-12-05, r9): projects and header layouts that no
// earlier part has (neither dev, held, fresh, r3 to r8 nor libdev, nor the
// development part's wide layouts, nor synth's documented classes), held
// back whole like r7. It was built blind: by someone who ran no score on
// any part and read no engine code or engine change. Only the coordinator
// scores r9 (docs/logcorpus.md): nobody tunes on it, and nobody working on
// the engine reads this file.

// r9Projects are modules never used in the corpus before, all held back,
// chosen for a spread of logging styles (zap's sugared printf, the standard
// library's log.Printf with bracketed levels, klog twice, zerolog chains,
// two leveled loggers of the projects' own, a slog wrapper with typed
// attributes, logrus fields, logr twice, and slog with key/value pairs) and for
// domains the corpus lacks. Licences read from each module's LICENSE. Of
// the other candidates, 19 were refused by the module proxy (no version
// listed), one listed only a version from before Go modules, 6 need a newer
// Go than 1.26.8 at their newest release (3 of them were taken at an older
// one), 4 gave fewer than 60 statements the extractor reads, and 2
// repeated a domain already chosen: left out before anything was rendered.
var r9Projects = []project{
	{"knative.dev/serving", "v0.51.0", "Apache-2.0", false},                                                    // serverless request routing and scale-to-zero, zap sugared Infof
	{"github.com/terraform-provider-openstack/terraform-provider-openstack/v3", "v3.4.0", "MPL-2.0", false},    // infrastructure-as-code provider, log.Printf("[DEBUG] …")
	{"github.com/openshift/machine-api-operator", "v0.2.1-0.20260226113419-88465550a74b", "Apache-2.0", false}, // machine provisioning, klog Infof
	{"github.com/vektra/mockery/v3", "v3.9.1", "BSD-3-Clause", false},                                          // code generation, zerolog chains
	{"github.com/weaveworks/eksctl", "v0.215.0", "Apache-2.0", false},                                          // managed-cluster command line, its own leveled printf logger
	{"github.com/aquasecurity/trivy", "v0.74.0", "Apache-2.0", false},                                          // vulnerability scanning, slog wrapper with typed attributes
	{"github.com/kubeflow/katib", "v0.19.0", "Apache-2.0", false},                                              // hyperparameter tuning, klog and logr
	{"github.com/slackhq/nebula", "v1.9.7", "MIT", false},                                                      // overlay mesh network, logrus fields
	{"github.com/kedacore/keda/v2", "v2.17.2", "Apache-2.0", false},                                            // event-driven autoscaling, logr key/value
	{"github.com/pocketbase/pocketbase", "v0.30.0", "MIT", false},                                              // single-file application backend, slog key/value
	{"istio.io/istio", "v0.0.0-20260827124520-eed52ebb66ad", "Apache-2.0", false},                              // service mesh control plane, its own scoped leveled logger
	{"github.com/ray-project/kuberay/ray-operator", "v1.5.0", "Apache-2.0", false},                             // distributed compute clusters, logr key/value
}

const partR9 = "r9" // ninth round: new projects and new header layouts, held back whole

// r9Plan is the fixed rule that makes the r9 part (pinned by TestR9Plan),
// decided before any of it was rendered or scored: r7Plan's rule with r9's
// lists and the salt "r9|" (the i-th project in the new layouts 2i and
// 2i+1, every second one also in one development layout, each new layout
// also with one development project). r9 has as many projects as layouts.
func r9Plan() []r3Set {
	return heldRoundPlan("r9|", append(append([]shape{}, shapes...), wideShapes...), r9Projects, r9Shapes)
}

// r9Base62 writes n in base 62 (0-9, A-Z, a-z) in w digits, as Exim's
// message ids do.
func r9Base62(n uint64, w int) string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, w)
	for i := w - 1; i >= 0; i-- {
		b[i] = digits[n%62]
		n /= 62
	}
	return string(b)
}

// r9UUID is a stable UUID for key.
func r9UUID(key string) string {
	a, b := hash64(key), hash64(key+"|2")
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, 0x4000|a&0x0fff, 0x8000|b>>48&0x3fff, b&0xffffffffffff)
}

// r9Shapes are header layouts never rendered in the corpus before r9, each
// as a real program writes it by default (or with the one documented
// setting named), from a mail server, a telephony switch, a storage
// cluster, a load balancer's failover daemon, an HPC scheduler, a VPN, a
// print server, an intrusion detection engine, a monitoring server, an
// embedded router's system log, a backup system and a DHCP server. They
// are rendered in the r9 part only.
var r9Shapes = []shape{
	// Exim's main log (mainlog) with log_selector = +pid: "yyyy-mm-dd
	// hh:mm:ss [pid] " then, on the lines about a message, its id (six
	// base-62 digits of the time, six of the pid, two of the fraction of
	// the second), then the text; no level. Source: the Exim specification,
	// chapter "Log files" (format of log lines, the log_selector item pid:
	// the process id in square brackets after the time) and chapter
	// "Message identification" (the id's three parts).
	{Name: "exim-mainlog", Render: func(e *event) string {
		pid := 9990 + (e.PID+e.TID*7)%25 // crosses 9999: the column grows a digit
		id := ""
		if e.TID%2 == 1 {
			id = r9Base62(uint64(e.T.Unix()), 6) + "-" + r9Base62(uint64(pid), 6) + "-" + r9Base62(uint64(e.T.Nanosecond()/1e7), 2) + " "
		}
		return fmt.Sprintf("%s [%d] %s%s%s", e.T.Format("2006-01-02 15:04:05"), pid, id, e.Msg, textKVs(e))
	}},
	// FreeSWITCH's log file (mod_logfile, 1.10): "yyyy-mm-dd
	// hh:mm:ss.uuuuuu idle% [LEVEL] file.c:line message", the system's idle
	// CPU in percent with two decimals, the levels DEBUG, INFO, NOTICE,
	// WARNING, ERR, CRIT; a line written inside a call starts with the
	// call's UUID. Source: FreeSWITCH's switch_log.c (the line's prefix)
	// and mod_logfile (uuid = true, its default), and its log lines as
	// issues quote them ("4130dcbd-… 2021-12-30 20:02:49.254811 96.93%
	// [NOTICE] switch_channel.c:1123 New Channel …", signalwire/freeswitch#1509).
	{Name: "freeswitch", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "DEBUG", "debug": "DEBUG", "info": "INFO", "warn": "WARNING", "error": "ERR", "fatal": "CRIT"})
		if lv == "INFO" && r7Stmt(e)%3 == 0 {
			lv = "NOTICE"
		}
		call := ""
		if e.TID%3 == 0 {
			call = r9UUID(e.Host+strconv.Itoa(e.TID)+strconv.Itoa(e.Seq/20)) + " "
		}
		idle := 9000 + hash64(strconv.Itoa(e.Seq/10))%1000
		return fmt.Sprintf("%s%s %d.%02d%% [%s] %s.c:%d %s%s", call, micros(e).Format("2006-01-02 15:04:05.000000"), idle/100, idle%100, lv, r7Base(e), e.Line, e.Msg, textKVs(e))
	}},
	// A Ceph daemon's log (ceph-osd, ceph-mon; Octopus and later):
	// "yyyy-mm-ddThh:mm:ss.mmm+0000 thread prio message", the thread id in
	// hex, the priority right-aligned in two columns (-1 an error, 0 shown
	// at every debug level, 1 to 20 ever more detail); most lines carry
	// the subsystem's prefix (an OSD's "osd.N epoch ", a store's
	// "bluestore(path) "). Source: Ceph's src/log/Entry.h and Log.cc (the
	// line Log::_flush writes) and the Ceph documentation, "Logging and
	// Debugging".
	{Name: "ceph-daemon", Render: func(e *event) string {
		prio := lvl(e.Level, map[string]string{"trace": "20", "debug": "10", "info": " 1", "warn": " 0", "error": "-1", "fatal": "-1"})
		if prio == " 1" && r7Stmt(e)%4 == 0 {
			prio = " 5"
		}
		osd := e.TID % 4
		prefix := []string{fmt.Sprintf("osd.%d %d ", osd, 400+e.Seq/50), fmt.Sprintf("bluestore(/var/lib/ceph/osd/ceph-%d) ", osd), "", fmt.Sprintf("osd.%d pg_epoch: %d ", osd, 400+e.Seq/50)}[r7Stmt(e)%4]
		return fmt.Sprintf("%s %x %s %s%s%s", e.T.UTC().Format("2006-01-02T15:04:05.000-0700"), 0x7f3a2c1b0640+e.TID*0x801000, prio, prefix, e.Msg, textKVs(e))
	}},
	// keepalived's own log file (-g/--log-file, or --log-console):
	// "Www Mmm dd hh:mm:ss yyyy: message", the time as ctime prints it
	// (the day padded with a space), no level; a VRRP instance's lines
	// start with its name in parentheses. Source: keepalived's
	// lib/logger.c (the time stamp of a log written to a file) and its
	// file logs as issues quote them ("Mon Nov  3 18:36:33 2025: (VI_14):
	// Success creating VMAC interface vrrp.14", acassen/keepalived#2674).
	{Name: "keepalived", Render: func(e *event) string {
		inst := ""
		if e.TID%3 != 0 {
			inst = fmt.Sprintf("(VI_%d) ", 1+e.TID%3)
		}
		return fmt.Sprintf("%s: %s%s%s", e.T.Format("Mon Jan _2 15:04:05 2006"), inst, e.Msg, textKVs(e))
	}},
	// Slurm's controller log (slurmctld.log, LogTimeFormat=iso8601_ms, the
	// default): "[yyyy-mm-ddThh:mm:ss.mmm] message", an error's and a
	// fatal's text after "error: " and "fatal: ", debug lines after
	// "debug:  ", "debug2: " or "debug3: ", informational lines bare, many
	// of them after the function's name; Slurm has no warning level, its
	// warnings are errors. Source: slurm.conf(5), LogTimeFormat, and
	// Slurm's src/common/log.c (the level prefixes).
	{Name: "slurmctld", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "debug3: ", "debug": "debug:  ", "info": "", "warn": "error: ", "error": "error: ", "fatal": "fatal: "})
		if lv == "debug:  " && r7Stmt(e)%2 == 0 {
			lv = "debug2: "
		}
		fn := ""
		if r7Stmt(e)%3 == 0 {
			fn = "_" + r7Base(e) + ": "
		}
		return fmt.Sprintf("[%s] %s%s%s%s", e.T.Format("2006-01-02T15:04:05.000"), lv, fn, e.Msg, textKVs(e))
	}},
	// strongSwan's charon log to a file (charon.filelog, time_format =
	// "%b %e %T"): "Mmm dd hh:mm:ss NN[SUB] message", the day padded with
	// a space, the thread's number in two digits, the subsystem in three
	// letters (DMN, MGR, IKE, CHD, JOB, CFG, KNL, NET, ASN, ENC, LIB); no
	// level. Source: strongswan.conf(5), charon.filelog (time_format), and
	// strongSwan's file_logger.c.
	{Name: "strongswan", Render: func(e *event) string {
		sub := pick([]string{"DMN", "MGR", "IKE", "CHD", "JOB", "CFG", "KNL", "NET", "ASN", "ENC", "LIB"}, e.Comp)
		return fmt.Sprintf("%s %02d[%s] %s%s", e.T.Format("Jan _2 15:04:05"), 1+e.TID%16, sub, e.Msg, textKVs(e))
	}},
	// CUPS's error_log: "L [dd/Mmm/yyyy:hh:mm:ss +zzzz] message", the
	// level one letter (E error, W warning, N notice, I info, D debug, d
	// debug2, C critical), a job's lines after "[Job N] ", a client's after
	// "[Client N] ". Source: cupsd-logs(7) (or cupsd-logs(5)), "ERROR_LOG
	// FILE FORMAT".
	{Name: "cups-error-log", Render: func(e *event) string {
		l := lvl(e.Level, map[string]string{"trace": "d", "debug": "D", "info": "I", "warn": "W", "error": "E", "fatal": "C"})
		if l == "I" && r7Stmt(e)%4 == 0 {
			l = "N"
		}
		ctx := ""
		switch e.TID % 3 {
		case 1:
			ctx = fmt.Sprintf("[Job %d] ", 90+e.Seq/40)
		case 2:
			ctx = fmt.Sprintf("[Client %d] ", 1+e.Seq/30)
		}
		return fmt.Sprintf("%s [%s] %s%s%s", l, e.T.Format("02/Jan/2006:15:04:05 -0700"), ctx, e.Msg, textKVs(e))
	}},
	// Suricata 7's own log (suricata.log and the console, its default
	// format "[%i - %m] %z %d: %S: %M"): "[tid - thread] yyyy-mm-dd
	// hh:mm:ss Level: module: message", the thread's id and name
	// (Suricata-Main, W#01, FM#01, FR#01, CW, CS), the levels Error,
	// Warning, Notice, Info, Perf, Config, Debug. Source: the Suricata
	// user guide, "Engine Logging" (default-log-format and its format
	// characters; %z added in 7.0, OISF/suricata#8317).
	{Name: "suricata", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "Debug", "debug": "Debug", "info": "Info", "warn": "Warning", "error": "Error", "fatal": "Error"})
		if lv == "Info" {
			lv = []string{"Info", "Info", "Notice", "Config", "Info", "Perf"}[r7Stmt(e)%6]
		}
		thread := []string{"Suricata-Main", "W#01", "W#02", "W#03", "W#04", "FM#01", "FR#01", "CW", "CS"}[e.TID%9]
		mod := strings.ReplaceAll(r7Word(e.Comp), "_", "-")
		return fmt.Sprintf("[%d - %s] %s %s: %s: %s%s", 995+e.PID%7+e.TID, thread, e.T.Format("2006-01-02 15:04:05"), lv, mod, e.Msg, textKVs(e))
	}},
	// Icinga 2's main log (icinga2.log, the mainlog feature's FileLogger):
	// "[yyyy-mm-dd hh:mm:ss +zzzz] severity/Facility: message", the
	// severities debug, notice, information, warning, critical (no error:
	// an error is critical). Source: the Icinga 2 documentation, "Features"
	// (Logging, FileLogger) and its log lines as issues quote them
	// ("[2018-05-03 11:49:50 +0200] information/ConfigItem: Committing
	// config item(s).", Icinga/icinga2#3455).
	{Name: "icinga2", Render: func(e *event) string {
		sev := lvl(e.Level, map[string]string{"trace": "debug", "debug": "debug", "info": "information", "warn": "warning", "error": "critical", "fatal": "critical"})
		if sev == "information" && r7Stmt(e)%4 == 0 {
			sev = "notice"
		}
		fac := r7Pascal(e.Comp)
		if r7Stmt(e)%2 == 0 {
			fac = r7Pascal(e.File)
		}
		return fmt.Sprintf("[%s] %s/%s: %s%s", e.T.Format("2006-01-02 15:04:05 -0700"), sev, fac, e.Msg, textKVs(e))
	}},
	// OpenWrt's system log as logread prints it: "Www Mmm dd hh:mm:ss yyyy
	// facility.level program[pid]: message", the time as ctime prints it,
	// the syslog facility and level words (debug, info, notice, warn, err,
	// crit); the kernel's lines carry no pid and their own uptime stamp
	// ("kern.info kernel: [   12.345678] …"). Source: OpenWrt's ubox
	// logread.c (the line it prints for each entry) and logread output as
	// issues quote it ("Fri Oct 28 12:37:24 2022 daemon.info
	// Keepalived_vrrp[17362]: …", openwrt/luci#5965).
	{Name: "openwrt-logread", Render: func(e *event) string {
		pri := lvl(e.Level, map[string]string{"trace": "debug", "debug": "debug", "info": "info", "warn": "warn", "error": "err", "fatal": "crit"})
		if pri == "info" && r7Stmt(e)%3 == 0 {
			pri = "notice"
		}
		ts := e.T.Format("Mon Jan _2 15:04:05 2006")
		if r7Stmt(e)%7 == 0 {
			up := r7Uptime(e)
			return fmt.Sprintf("%s kern.%s kernel: [%5d.%06d] %s%s", ts, pri, up/1000, up%1000*1000+int64(e.Seq%1000), e.Msg, textKVs(e))
		}
		fac := "daemon"
		if e.TID%4 == 3 {
			fac = "user"
		}
		return fmt.Sprintf("%s %s.%s %s[%d]: %s%s", ts, fac, pri, e.App, e.PID%30000+e.TID, e.Msg, textKVs(e))
	}},
	// Bacula's job messages (the Director's log file and a job's report,
	// Messages resource "append"): "dd-Mmm hh:mm daemon JobId N: message",
	// the time to the minute with no year, the daemon's name (-dir, -sd,
	// -fd), "JobId N" on a job's lines, the text after "Warning: ",
	// "Error: " or "Fatal error: " where it is one; no debug class (its
	// debug output goes elsewhere), so debug lines are plain. Source:
	// Bacula's src/lib/message.c (Jmsg: the daemon's name and JobId) and
	// src/lib/btime.c (bstrftime_nc, "%d-%b %H:%M"), and the Bacula
	// manual's job reports.
	{Name: "bacula-job", Render: func(e *event) string {
		kind := lvl(e.Level, map[string]string{"trace": "", "debug": "", "info": "", "warn": "Warning: ", "error": "Error: ", "fatal": "Fatal error: "})
		daemon := e.Host + []string{"-dir", "-sd", "-fd"}[e.TID%3]
		job := ""
		if e.TID%4 != 0 {
			job = fmt.Sprintf(" JobId %d", 95+e.Seq/50) // grows a digit past JobId 99
		}
		return fmt.Sprintf("%s %s%s: %s%s%s", e.T.Format("02-Jan 15:04"), daemon, job, kind, e.Msg, textKVs(e))
	}},
	// ISC Kea's DHCP servers' log (kea-dhcp4, the default output_options
	// pattern "%D{%Y-%m-%d %H:%M:%S.%q} %-5p [%c/%i.%t] %m"): "yyyy-mm-dd
	// hh:mm:ss.mmm LEVEL [logger/pid.tid] MESSAGE_ID text", the level
	// padded to five columns (FATAL, ERROR, WARN, INFO, DEBUG), the logger
	// "kea-dhcp4." and a component, the process and thread ids, every
	// message opening with its upper-case identifier. Source: the Kea
	// Administrator Reference Manual, "Logging" (output_options, pattern,
	// and the default pattern).
	{Name: "kea-dhcp", Render: func(e *event) string {
		lv := lvl(e.Level, map[string]string{"trace": "DEBUG", "debug": "DEBUG", "info": "INFO", "warn": "WARN", "error": "ERROR", "fatal": "FATAL"})
		comp := strings.ReplaceAll(r7Word(e.Comp), "_", "-")
		id := strings.ToUpper(pick([]string{"DHCP4", "DHCPSRV", "ALLOC_ENGINE", "HOSTS", "COMMAND", "DHCP4_PACKET"}, e.Comp) + "_" + r7Base(e))
		return fmt.Sprintf("%s %-5s [kea-dhcp4.%s/%d.%d] %s %s%s", e.T.Format("2006-01-02 15:04:05.000"), lv, comp, e.PID, 139871850000000+e.TID*8392704, id, e.Msg, textKVs(e))
	}},
}

// r9YearLess are the r9 layouts whose time has no year (r9TimeOf reads it
// as year 0).
var r9YearLess = map[string]bool{"strongswan": true, "bacula-job": true}

// r9TimeOf reads the time back out of a line an r9 layout rendered, with
// its precision, so the renderer checks can compare it with the event's
// time.
func r9TimeOf(name, line string) (t time.Time, prec time.Duration, ok bool, err error) {
	head := func(n int) string { return line[:min(n, len(line))] }
	switch name {
	case "exim-mainlog":
		return timeAt("2006-01-02 15:04:05", head(19), time.Second)
	case "freeswitch":
		if len(line) > 37 && line[8] == '-' && line[36] == ' ' {
			line = line[37:] // the call's UUID
		}
		return timeAt("2006-01-02 15:04:05.000000", head(26), time.Microsecond)
	case "ceph-daemon":
		return timeAt("2006-01-02T15:04:05.000-0700", head(28), time.Millisecond)
	case "keepalived":
		ts, _, _ := strings.Cut(line, ": ")
		return timeAt("Mon Jan _2 15:04:05 2006", ts, time.Second)
	case "slurmctld":
		return timeAt("2006-01-02T15:04:05.000", between(line, "[", "]"), time.Millisecond)
	case "strongswan":
		return timeAt("Jan _2 15:04:05", head(15), time.Second)
	case "cups-error-log":
		return timeAt("02/Jan/2006:15:04:05 -0700", between(line, "[", "]"), time.Second)
	case "suricata":
		_, rest, _ := strings.Cut(line, "] ")
		return timeAt("2006-01-02 15:04:05", rest[:min(19, len(rest))], time.Second)
	case "icinga2":
		return timeAt("2006-01-02 15:04:05 -0700", between(line, "[", "]"), time.Second)
	case "openwrt-logread":
		return timeAt("Mon Jan _2 15:04:05 2006", head(24), time.Second)
	case "bacula-job":
		return timeAt("02-Jan 15:04", head(12), time.Minute)
	case "kea-dhcp":
		return timeAt("2006-01-02 15:04:05.000", head(23), time.Millisecond)
	}
	return time.Time{}, 0, false, nil
}
