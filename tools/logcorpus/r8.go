package main

// The r8 part of the eighth round (libround.go), held back whole: its
// projects and logger configurations. Nobody who works on the log engine
// reads this file; TestR8Plan pins it.

// r8Projects are the round's projects libPartOf sends to r8: modules no
// earlier part uses (TestR8Plan checks it against every earlier part).
var r8Projects = []project{
	{"github.com/axllent/mailpit", "v1.33.1", "MIT", false},
	{"github.com/panjf2000/gnet/v2", "v2.9.7", "Apache-2.0", false},
	{"github.com/stripe/smokescreen", "v0.1.0", "MIT", false},
	{"github.com/ory/kratos", "v1.3.1", "Apache-2.0", false},
	{"github.com/go-kratos/kratos/v2", "v2.8.3", "MIT", false},
	{"github.com/chaos-mesh/chaos-mesh", "v0.9.1-0.20260902003049-47411975a8cb", "Apache-2.0", false},
	{"github.com/kyverno/kyverno", "v1.19.1", "Apache-2.0", false},
	{"github.com/osrg/gobgp/v3", "v3.37.0", "Apache-2.0", false},
	{"github.com/metallb/frr-k8s", "v0.0.21", "Apache-2.0", false},
}

// r8Configs are the librender configurations (librender/r8configs.go)
// whose group libPartOf sends to r8.
var r8Configs = []string{
	"zerolog-console", "zerolog-console-caller", "zerolog-json",
	"logrus-text", "logrus-text-datetime", "logrus-json",
	"charm-text", "charm-logfmt",
	"log15-logfmt", "log15-json",
	"gokit-logfmt", "gokit-json",
	"slog-text", "slog-json",
	"py-basic", "py-celery-task", "py-airflow", "py-scrapy", "py-django-verbose", "py-salt",
	"jul-javadoc", "jul-default",
}

func r8Plan() []libSet { return libPlan(partR8, r8Projects, r8Configs) }
