package main

import "testing"

// TestLibdevPlan pins the libdev part of the eighth round: its projects
// and configurations against the split rule, librender's list and every
// earlier part, and each configuration's output on the fixture.
func TestLibdevPlan(t *testing.T) {
	t.Parallel()
	checkLibPart(t, partLibdev, libdevProjects, libdevConfigs, libdevPlan(), map[string]string{
		"zap-dev-console":  "c75a2db31764",
		"zap-prod-console": "02d3d4d3ec71",
		"zap-iso-console":  "8e8e67806ec3",
		"hclog-text":       "6a19bebf7a2e",
		"hclog-json":       "93373696f4d6",
		"apex-logfmt":      "61ae08592969",
		"apex-json":        "7708d20f8a6b",
		"tint-default":     "42e11140463b",
		"tint-kitchen":     "35055d1c976c",
		"py-gunicorn":      "79f839458d14",
		"py-celery-worker": "2528f5fd860b",
		"py-tornado":       "622c70317e69",
		"py-homeassistant": "69bd378d2021",
		"ruby-default":     "679083179d7f",
		"ruby-datetime":    "8b90ee6d1692",
		"ruby-proc":        "8a58e940e58d",
		"jul-iso":          "56fdfa901133",
	})
}
