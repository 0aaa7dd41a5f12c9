package main

// The libdev part of the eighth round (libround.go): a development part
// written by real libraries, to tune on. TestLibdevPlan pins it.

// libdevProjects are the round's projects libPartOf sends to libdev:
// modules no earlier part uses.
var libdevProjects = []project{
	{"github.com/derailed/k9s", "v0.50.16", "Apache-2.0", false},
	{"github.com/grafana/loki/v3", "v3.7.8", "AGPL-3.0", false},
	{"github.com/cschleiden/go-workflows", "v1.2.0", "MIT", false},
	{"github.com/tus/tusd/v2", "v2.9.1", "MIT", false},
	{"github.com/pressly/goose/v3", "v3.27.0", "MIT", false},
	{"github.com/zeromicro/go-zero", "v1.10.3", "MIT", false},
	{"github.com/nsqio/go-nsq", "v1.1.0", "MIT", false},
}

// libdevConfigs are the librender configurations
// (librender/libdevconfigs.go) whose group libPartOf sends to libdev.
var libdevConfigs = []string{
	"zap-dev-console", "zap-prod-console", "zap-iso-console",
	"hclog-text", "hclog-json",
	"apex-logfmt", "apex-json",
	"tint-default", "tint-kitchen",
	"py-gunicorn", "py-celery-worker", "py-tornado", "py-homeassistant",
	"ruby-default", "ruby-datetime", "ruby-proc",
	"jul-iso",
}

func libdevPlan() []libSet { return libPlan(partLibdev, libdevProjects, libdevConfigs) }
