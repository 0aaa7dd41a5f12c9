package dashboards

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// dashboardFiles returns the committed dashboards by file name.
func dashboardFiles(t *testing.T) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob("*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no dashboards")
	}
	files := make(map[string][]byte, len(paths))
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = raw
	}
	return files
}

// validate decodes a dashboard strictly with the Grafana Foundation SDK and
// validates it.
func validate(raw []byte) error {
	var d dashboard.Dashboard
	if err := d.UnmarshalJSONStrict(raw); err != nil {
		return err
	}
	return d.Validate()
}

func TestDashboardsStrict(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	uids := map[string]string{}
	for name, raw := range dashboardFiles(t) {
		t.Run(name, func(t *testing.T) {
			if err := validate(raw); err != nil {
				t.Fatal(err)
			}
			var d struct {
				UID        string `json:"uid"`
				Templating struct {
					List []struct {
						Name string `json:"name"`
						Type string `json:"type"`
					} `json:"list"`
				} `json:"templating"`
				Panels []json.RawMessage `json:"panels"`
			}
			if err := json.Unmarshal(raw, &d); err != nil {
				t.Fatal(err)
			}
			if other, dup := uids[d.UID]; dup || d.UID == "" {
				t.Errorf("uid %q is empty or also used by %s", d.UID, other)
			}
			uids[d.UID] = name
			var vars []string
			for _, v := range d.Templating.List {
				vars = append(vars, v.Name)
			}
			if !slices.Contains(vars, "datasource") {
				t.Errorf("no datasource variable: %v", vars)
			}
			if strings.Contains(name, "runtime") || strings.Contains(name, "health") {
				for _, want := range []string{"service", "pid"} {
					if !slices.Contains(vars, want) {
						t.Errorf("no %s variable: %v", want, vars)
					}
				}
			}
			if len(d.Panels) < 4 {
				t.Errorf("only %d panels", len(d.Panels))
			}
			// Every panel queries the datasource chosen by the variable, and
			// every query has a refId.
			for _, p := range d.Panels {
				var panel struct {
					Type       string `json:"type"`
					Title      string `json:"title"`
					Datasource *struct {
						UID string `json:"uid"`
					} `json:"datasource"`
					Targets []struct {
						RefID string `json:"refId"`
						Expr  string `json:"expr"`
					} `json:"targets"`
				}
				if err := json.Unmarshal(p, &panel); err != nil {
					t.Fatal(err)
				}
				if panel.Type == "row" {
					continue
				}
				if panel.Datasource == nil || panel.Datasource.UID != "${datasource}" {
					t.Errorf("panel %q does not use ${datasource}", panel.Title)
				}
				if len(panel.Targets) == 0 {
					t.Errorf("panel %q has no query", panel.Title)
				}
				for _, q := range panel.Targets {
					if q.RefID == "" || q.Expr == "" {
						t.Errorf("panel %q: query %+v lacks refId or expr", panel.Title, q)
					}
				}
			}
		})
	}
}

// TestStrictValidationRejects shows that the validation catches the
// mistakes it is there for.
func TestStrictValidationRejects(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	raw := dashboardFiles(t)["gopulse-runtime.json"]
	for _, tc := range []struct{ name, old, new string }{
		{"unknown panel field", `"title": "GC rate",`, `"title": "GC rate", "titel": "x",`},
		{"wrong type", `"refresh": "30s"`, `"refresh": 30`},
		{"unknown heatmap option", `"calculate": false,`, `"calculate": false, "calculat": true,`},
		{"timeseries without legend", `"legend": {`, `"legendx": {`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !bytes.Contains(raw, []byte(tc.old)) {
				t.Fatalf("dashboard lacks %s", tc.old)
			}
			bad := bytes.Replace(raw, []byte(tc.old), []byte(tc.new), 1)
			if err := validate(bad); err == nil {
				t.Fatal("validated without error")
			}
		})
	}
}

// TestDashboardsUpToDate: the committed JSON is what Build produces
// (`go generate ./dashboards` rewrites it).
func TestDashboardsUpToDate(t *testing.T) {
	files, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	committed := dashboardFiles(t)
	if len(files) != len(committed) {
		t.Errorf("Build makes %d dashboards, %d are committed", len(files), len(committed))
	}
	for _, f := range files {
		if !bytes.Equal(committed[f.Name], f.JSON) {
			t.Errorf("%s is stale: run go generate ./dashboards", f.Name)
		}
	}
}

// dashboardQueries returns every PromQL expression of every dashboard
// (panel targets and query variables), by file name.
func dashboardQueries(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for name, raw := range dashboardFiles(t) {
		var doc any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				if e, ok := v["expr"].(string); ok {
					out[name] = append(out[name], e)
				}
				if v["type"] == "query" {
					switch q := v["query"].(type) {
					case string:
						out[name] = append(out[name], q)
					case map[string]any:
						if s, ok := q["query"].(string); ok {
							out[name] = append(out[name], s)
						}
					}
				}
				for _, c := range v {
					walk(c)
				}
			case []any:
				for _, c := range v {
					walk(c)
				}
			}
		}
		walk(doc)
	}
	return out
}

// dashboardSelectors returns every selector of every dashboard query.
func dashboardSelectors(t *testing.T) map[string][]selector {
	t.Helper()
	out := map[string][]selector{}
	for name, qs := range dashboardQueries(t) {
		for _, q := range qs {
			sels, err := variableSelectors(q)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			out[name] = append(out[name], sels...)
		}
	}
	return out
}

// TestDashboardMetricsFollowContract checks the names statically: gopulse
// metric names use the gopulse_ prefix and base units, and client_golang's
// own collectors only for the agent dashboard.
func TestDashboardMetricsFollowContract(t *testing.T) {
	for name, sels := range dashboardSelectors(t) {
		if len(sels) == 0 {
			t.Errorf("%s: no metric found", name)
		}
		for _, s := range sels {
			switch {
			case strings.HasPrefix(s.Metric, "gopulse_"):
			case (strings.HasPrefix(s.Metric, "process_") || strings.HasPrefix(s.Metric, "go_")) && name == "gopulse-agent.json":
			default:
				t.Errorf("%s: metric %s is neither gopulse_ nor the agent's own process_/go_", name, s.Metric)
			}
			if strings.Contains(s.Metric, "_milliseconds") || strings.Contains(s.Metric, "_ms_") {
				t.Errorf("%s: %s is not in base units", name, s.Metric)
			}
		}
	}
}
