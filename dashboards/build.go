package dashboards

import (
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/heatmap"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// File is one generated dashboard.
type File struct {
	Name string // file name, e.g. "gopulse-runtime.json"
	JSON []byte // indented, with a trailing newline
}

// Build returns every dashboard, in a fixed order.
func Build() ([]File, error) {
	builders := []struct {
		name string
		b    *dashboard.DashboardBuilder
	}{
		{"gopulse-runtime.json", runtimeDashboard()},
		{"gopulse-logs.json", logsDashboard()},
		{"gopulse-health.json", healthDashboard()},
		{"gopulse-agent.json", agentDashboard()},
	}
	files := make([]File, 0, len(builders))
	for _, d := range builders {
		dash, err := d.b.Build()
		if err != nil {
			return nil, fmt.Errorf("build %s: %w", d.name, err)
		}
		raw, err := json.MarshalIndent(dash, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("marshal %s: %w", d.name, err)
		}
		files = append(files, File{Name: d.name, JSON: append(raw, '\n')})
	}
	return files, nil
}

// procSel is the label selector of the per-process series.
const procSel = `service=~"$service", pid=~"$pid"`

func datasource() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}
}

func query(expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Expr(expr).LegendFormat(legend).Range()
}

func newDashboard(uid, title, desc string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(desc).
		Tags([]string{"gopulse"}).
		Editable().
		Refresh("30s").
		Time("now-1h", "now").
		Timezone("browser").
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Link(dashboard.NewDashboardLinkBuilder("gopulse").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{"gopulse"}).
			AsDropdown(true).
			IncludeVars(true).
			KeepTime(true)).
		WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").
			Label("Data source").
			Type("prometheus"))
}

// labelVariable is a multi-value variable over the values of label on metric.
func labelVariable(name, label, metric, filter string) *dashboard.QueryVariableBuilder {
	q := fmt.Sprintf("label_values(%s, %s)", metric, label)
	if filter != "" {
		q = fmt.Sprintf("label_values(%s{%s}, %s)", metric, filter, label)
	}
	return dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Datasource(datasource()).
		Query(dashboard.StringOrMap{String: cog.ToPtr(q)}).
		Definition(q).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortNaturalAsc).
		Multi(true).
		IncludeAll(true).
		AllValue(".*")
}

func processVariables(b *dashboard.DashboardBuilder) *dashboard.DashboardBuilder {
	return b.
		WithVariable(labelVariable("service", "service", "gopulse_go_info", "")).
		WithVariable(labelVariable("pid", "pid", "gopulse_go_info", `service=~"$service"`))
}

func legend() *common.VizLegendOptionsBuilder {
	return common.NewVizLegendOptionsBuilder().
		ShowLegend(true).
		DisplayMode(common.LegendDisplayModeList).
		Placement(common.LegendPlacementBottom)
}

func tooltip() *common.VizTooltipOptionsBuilder {
	return common.NewVizTooltipOptionsBuilder().
		Mode(common.TooltipDisplayModeMulti).
		Sort(common.SortOrderDescending)
}

func timeSeries(title, desc, unit string, w uint32, targets ...*prometheus.DataqueryBuilder) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().
		Title(title).
		Description(desc).
		Datasource(datasource()).
		Unit(unit).
		Height(8).
		Span(w).
		FillOpacity(10).
		Legend(legend()).
		Tooltip(tooltip())
	for i, t := range targets {
		p.WithTarget(t.RefId(string(rune('A' + i))))
	}
	return p
}

func heatmapPanel(title, desc, unit, bucketExpr string) *heatmap.PanelBuilder {
	return heatmap.NewPanelBuilder().
		Title(title).
		Description(desc).
		Datasource(datasource()).
		Height(8).
		Span(12).
		Calculate(false).
		YAxis(heatmap.NewYAxisConfigBuilder().Unit(unit)).
		ShowLegend().
		WithTarget(prometheus.NewDataqueryBuilder().
			Expr(bucketExpr).
			LegendFormat("{{le}}").
			Format(prometheus.PromQueryFormatHeatmap).
			RefId("A").
			Range())
}

func statPanel(title, desc, unit string, w uint32, target *prometheus.DataqueryBuilder) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Title(title).
		Description(desc).
		Datasource(datasource()).
		Unit(unit).
		Height(4).
		Span(w).
		GraphMode(common.BigValueGraphModeArea).
		ColorMode(common.BigValueColorModeValue).
		Orientation(common.VizOrientationAuto).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false)).
		WithTarget(target.RefId("A"))
}

func runtimeDashboard() *dashboard.DashboardBuilder {
	b := processVariables(newDashboard("gopulse-runtime", "gopulse / Go runtime",
		"GC, stop-the-world pauses, scheduling latency and goroutines of every watched Go process, observed from outside with eBPF uprobes."))
	return b.
		WithRow(dashboard.NewRowBuilder("Overview")).
		WithPanel(statPanel("Watched processes", "Go processes matching the selection.", "short", 6,
			query(fmt.Sprintf(`count(gopulse_go_info{%s})`, procSel), "processes"))).
		WithPanel(statPanel("GC cycles / s", "Finished GC cycles per second, all selected processes.", "ops", 6,
			query(fmt.Sprintf(`sum(rate(gopulse_go_gc_cycles_total{%s}[$__rate_interval]))`, procSel), "GC/s"))).
		WithPanel(statPanel("STW pause p99", "99th percentile of stop-the-world pauses.", "s", 6,
			query(fmt.Sprintf(`histogram_quantile(0.99, sum by (le) (rate(gopulse_go_stw_pause_seconds_bucket{%s}[$__rate_interval])))`, procSel), "p99"))).
		WithPanel(statPanel("Leak suspects", "Goroutine creation sites flagged as leaking.", "short", 6,
			query(fmt.Sprintf(`sum(gopulse_go_goroutine_leak_suspects{%s})`, procSel), "suspects"))).
		WithPanel(table.NewPanelBuilder().
			Title("Processes").
			Description("Go version and whether the binary is stripped, per process.").
			Datasource(datasource()).
			Height(6).
			Span(24).
			WithTarget(prometheus.NewDataqueryBuilder().
				Expr(fmt.Sprintf(`max by (service, pid, exe, go_version, stripped, namespace, pod, container) (gopulse_go_info{%s})`, procSel)).
				Format(prometheus.PromQueryFormatTable).
				RefId("A").
				Instant()).
			WithTransformation(dashboard.DataTransformerConfig{
				Id:      "organize",
				Options: map[string]any{"excludeByName": map[string]any{"Time": true, "Value": true}},
			})).
		WithRow(dashboard.NewRowBuilder("Garbage collector")).
		WithPanel(timeSeries("GC rate", "Finished GC cycles per second, per process.", "ops", 12,
			query(fmt.Sprintf(`sum by (service, pid) (rate(gopulse_go_gc_cycles_total{%s}[$__rate_interval]))`, procSel), "{{service}} {{pid}}"))).
		WithPanel(timeSeries("GC cycle duration", "GC start to end, p50 and p99, per service.", "s", 12,
			query(fmt.Sprintf(`histogram_quantile(0.99, sum by (le, service) (rate(gopulse_go_gc_cycle_duration_seconds_bucket{%s}[$__rate_interval])))`, procSel), "{{service}} p99"),
			query(fmt.Sprintf(`histogram_quantile(0.5, sum by (le, service) (rate(gopulse_go_gc_cycle_duration_seconds_bucket{%s}[$__rate_interval])))`, procSel), "{{service}} p50"))).
		WithPanel(timeSeries("Time in GC", "Share of wall time a GC cycle was in progress (concurrent mark included), per process.", "percentunit", 12,
			query(fmt.Sprintf(`sum by (service, pid) (rate(gopulse_go_gc_cycle_duration_seconds_sum{%s}[$__rate_interval]))`, procSel), "{{service}} {{pid}}"))).
		WithPanel(timeSeries("GC cycle duration (mean)", "Mean GC cycle duration per process.", "s", 12,
			query(fmt.Sprintf(`sum by (service, pid) (rate(gopulse_go_gc_cycle_duration_seconds_sum{%[1]s}[$__rate_interval])) / sum by (service, pid) (rate(gopulse_go_gc_cycle_duration_seconds_count{%[1]s}[$__rate_interval]))`, procSel), "{{service}} {{pid}}"))).
		WithRow(dashboard.NewRowBuilder("Stop-the-world pauses")).
		WithPanel(heatmapPanel("STW pause heatmap", "Every stop-the-world pause of the selected processes, by duration.", "s",
			fmt.Sprintf(`sum by (le) (increase(gopulse_go_stw_pause_seconds_bucket{%s}[$__rate_interval]))`, procSel))).
		WithPanel(timeSeries("STW pause p99 by reason", "GC sweep/mark termination and other reasons (ReadMemStats, GOMAXPROCS, stack dumps…).", "s", 12,
			query(fmt.Sprintf(`histogram_quantile(0.99, sum by (le, reason) (rate(gopulse_go_stw_pause_seconds_bucket{%s}[$__rate_interval])))`, procSel), "{{reason}}"))).
		WithPanel(timeSeries("Time stopped", "Share of wall time the world was stopped, per process.", "percentunit", 12,
			query(fmt.Sprintf(`sum by (service, pid) (rate(gopulse_go_stw_pause_seconds_sum{%s}[$__rate_interval]))`, procSel), "{{service}} {{pid}}"))).
		WithPanel(timeSeries("Pauses / s", "Stop-the-world pauses per second, by reason.", "ops", 12,
			query(fmt.Sprintf(`sum by (reason) (rate(gopulse_go_stw_pause_seconds_count{%s}[$__rate_interval]))`, procSel), "{{reason}}"))).
		WithRow(dashboard.NewRowBuilder("Scheduler")).
		WithPanel(heatmapPanel("Scheduling latency heatmap", "Runnable to running, all selected processes.", "s",
			fmt.Sprintf(`sum by (le) (increase(gopulse_go_sched_latency_seconds_bucket{%s}[$__rate_interval]))`, procSel))).
		WithPanel(timeSeries("Scheduling latency", "Runnable to running, p50 and p99, per process.", "s", 12,
			query(fmt.Sprintf(`histogram_quantile(0.99, sum by (le, service, pid) (rate(gopulse_go_sched_latency_seconds_bucket{%s}[$__rate_interval])))`, procSel), "{{service}} {{pid}} p99"),
			query(fmt.Sprintf(`histogram_quantile(0.5, sum by (le, service, pid) (rate(gopulse_go_sched_latency_seconds_bucket{%s}[$__rate_interval])))`, procSel), "{{service}} {{pid}} p50"))).
		WithRow(dashboard.NewRowBuilder("Goroutines")).
		WithPanel(timeSeries("Goroutines", "Live goroutines per process.", "short", 8,
			query(fmt.Sprintf(`sum by (service, pid) (gopulse_go_goroutines{%s})`, procSel), "{{service}} {{pid}}"))).
		WithPanel(timeSeries("Goroutines created / s", "Goroutine creation rate per process.", "ops", 8,
			query(fmt.Sprintf(`sum by (service, pid) (rate(gopulse_go_goroutines_created_total{%s}[$__rate_interval]))`, procSel), "{{service}} {{pid}}"))).
		WithPanel(timeSeries("Leak suspects", "Creation sites flagged as leaking, per process.", "short", 8,
			query(fmt.Sprintf(`sum by (service, pid) (gopulse_go_goroutine_leak_suspects{%s})`, procSel), "{{service}} {{pid}}")))
}

func logsDashboard() *dashboard.DashboardBuilder {
	const sel = `format=~"$format"`
	b := newDashboard("gopulse-logs", "gopulse / Logs",
		"Log volume per detected format, parse errors, schema drift and mined templates.").
		WithVariable(labelVariable("format", "format", "gopulse_log_lines_total", ""))
	return b.
		WithRow(dashboard.NewRowBuilder("Volume")).
		WithPanel(statPanel("Lines / s", "Parsed log lines per second.", "short", 6,
			query(fmt.Sprintf(`sum(rate(gopulse_log_lines_total{%s}[$__rate_interval]))`, sel), "lines/s"))).
		WithPanel(statPanel("Parse errors", "Share of lines that failed to parse in the detected format.", "percentunit", 6,
			query(fmt.Sprintf(`sum(rate(gopulse_log_parse_errors_total{%s}[$__rate_interval])) / clamp_min(sum(rate(gopulse_log_lines_total{%s}[$__rate_interval])), 1e-9)`, sel, sel), "errors"))).
		WithPanel(statPanel("Schema changes (range)", "Schema drift events over the dashboard's time range.", "short", 6,
			query(fmt.Sprintf(`sum(increase(gopulse_log_schema_changes_total{%s}[$__range]))`, sel), "changes"))).
		WithPanel(statPanel("Templates", "Templates mined from free-text messages.", "short", 6,
			query(fmt.Sprintf(`sum(gopulse_log_templates{%s})`, sel), "templates"))).
		WithPanel(timeSeries("Volume by format", "Log lines per second, by detected format.", "short", 12,
			query(fmt.Sprintf(`sum by (format) (rate(gopulse_log_lines_total{%s}[$__rate_interval]))`, sel), "{{format}}"))).
		WithPanel(timeSeries("Parse errors by format", "Lines per second that failed to parse.", "short", 12,
			query(fmt.Sprintf(`sum by (format) (rate(gopulse_log_parse_errors_total{%s}[$__rate_interval]))`, sel), "{{format}}"))).
		WithRow(dashboard.NewRowBuilder("Schema and templates")).
		WithPanel(timeSeries("Schema drift", "Schema changes (new fields, type changes) per interval, by format.", "short", 12,
			query(fmt.Sprintf(`sum by (format) (increase(gopulse_log_schema_changes_total{%s}[$__rate_interval]))`, sel), "{{format}}"))).
		WithPanel(timeSeries("Mined templates", "Distinct message templates per format; a jump means new messages, e.g. new errors.", "short", 12,
			query(fmt.Sprintf(`sum by (format) (gopulse_log_templates{%s})`, sel), "{{format}}"),
			query(fmt.Sprintf(`sum by (format) (delta(gopulse_log_templates{%s}[$__rate_interval]))`, sel), "{{format}} new")))
}

func healthDashboard() *dashboard.DashboardBuilder {
	b := processVariables(newDashboard("gopulse-health", "gopulse / Health and failover",
		"Health verdicts (with hysteresis) and drain/restore decisions per watched process."))
	// 0 healthy, 1 degraded, 2 unhealthy: works whether the agent exposes
	// only the current state or all states as 0/1.
	verdict := fmt.Sprintf(`max by (service, pid) ((gopulse_health_state{%[1]s, state="unhealthy"} * 2) or (gopulse_health_state{%[1]s, state="degraded"} * 1) or (gopulse_health_state{%[1]s, state="healthy"} * 0))`, procSel)
	mappings := []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{
		Type: dashboard.MappingTypeValueToText,
		Options: map[string]dashboard.ValueMappingResult{
			"0": {Text: cog.ToPtr("healthy"), Color: cog.ToPtr("green"), Index: cog.ToPtr[int32](0)},
			"1": {Text: cog.ToPtr("degraded"), Color: cog.ToPtr("orange"), Index: cog.ToPtr[int32](1)},
			"2": {Text: cog.ToPtr("unhealthy"), Color: cog.ToPtr("red"), Index: cog.ToPtr[int32](2)},
		},
	}}}
	return b.
		WithPanel(statPanel("Healthy", "Processes whose verdict is healthy.", "short", 6,
			query(fmt.Sprintf(`count(gopulse_health_state{%s, state="healthy"} == 1) or vector(0)`, procSel), "healthy"))).
		WithPanel(statPanel("Degraded", "Processes whose verdict is degraded.", "short", 6,
			query(fmt.Sprintf(`count(gopulse_health_state{%s, state="degraded"} == 1) or vector(0)`, procSel), "degraded"))).
		WithPanel(statPanel("Unhealthy", "Processes whose verdict is unhealthy.", "short", 6,
			query(fmt.Sprintf(`count(gopulse_health_state{%s, state="unhealthy"} == 1) or vector(0)`, procSel), "unhealthy"))).
		WithPanel(statPanel("Drains (range)", "Drain decisions over the dashboard's time range.", "short", 6,
			query(fmt.Sprintf(`sum(increase(gopulse_failover_decisions_total{%s, decision="drain"}[$__range]))`, procSel), "drains"))).
		WithPanel(statetimeline.NewPanelBuilder().
			Title("Verdict").
			Description("Health verdict per process over time.").
			Datasource(datasource()).
			Height(10).
			Span(24).
			Mappings(mappings).
			ShowValue(common.VisibilityModeAuto).
			MergeValues(true).
			Legend(legend()).
			Tooltip(tooltip()).
			Thresholds(dashboard.NewThresholdsConfigBuilder().
				Mode(dashboard.ThresholdsModeAbsolute).
				Steps([]dashboard.Threshold{
					{Value: nil, Color: "green"},
					{Value: cog.ToPtr[float64](1), Color: "orange"},
					{Value: cog.ToPtr[float64](2), Color: "red"},
				})).
			ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
			WithTarget(query(verdict, "{{service}} {{pid}}").RefId("A"))).
		WithPanel(timeSeries("Failover decisions", "Drain and restore decisions per interval.", "short", 12,
			query(fmt.Sprintf(`sum by (service, pid, decision) (increase(gopulse_failover_decisions_total{%s}[$__rate_interval]))`, procSel), "{{service}} {{pid}} {{decision}}"))).
		WithPanel(timeSeries("Signals behind the verdicts", "STW pause p99 and scheduling latency p99 per process (the health engine's main inputs).", "s", 12,
			query(fmt.Sprintf(`histogram_quantile(0.99, sum by (le, service, pid) (rate(gopulse_go_stw_pause_seconds_bucket{%s}[$__rate_interval])))`, procSel), "{{service}} {{pid}} STW p99"),
			query(fmt.Sprintf(`histogram_quantile(0.99, sum by (le, service, pid) (rate(gopulse_go_sched_latency_seconds_bucket{%s}[$__rate_interval])))`, procSel), "{{service}} {{pid}} sched p99")))
}

func agentDashboard() *dashboard.DashboardBuilder {
	const sel = `instance=~"$instance"`
	b := newDashboard("gopulse-agent", "gopulse / Agent self-monitoring",
		"The gopulse agent's own footprint, probes, lost events and exporters.").
		WithVariable(labelVariable("instance", "instance", "gopulse_agent_probes_attached", ""))
	return b.
		WithPanel(statPanel("Probes attached", "Uprobes currently attached.", "short", 6,
			query(fmt.Sprintf(`sum(gopulse_agent_probes_attached{%s})`, sel), "probes"))).
		WithPanel(statPanel("Events lost / s", "Ring buffer events the agent could not read in time.", "short", 6,
			query(fmt.Sprintf(`sum(rate(gopulse_agent_events_lost_total{%s}[$__rate_interval]))`, sel), "lost/s"))).
		WithPanel(statPanel("RSS", "Resident memory of the agent (goal: 64 MiB).", "bytes", 6,
			query(fmt.Sprintf(`max(process_resident_memory_bytes{%s})`, sel), "RSS"))).
		WithPanel(statPanel("CPU", "CPU used by the agent, in cores (goal: 0.01 idle).", "short", 6,
			query(fmt.Sprintf(`max(rate(process_cpu_seconds_total{%s}[$__rate_interval]))`, sel), "cores"))).
		WithPanel(timeSeries("CPU", "CPU seconds per second, per agent.", "short", 12,
			query(fmt.Sprintf(`rate(process_cpu_seconds_total{%s}[$__rate_interval])`, sel), "{{instance}}"))).
		WithPanel(timeSeries("Memory", "Resident memory and Go heap in use, per agent.", "bytes", 12,
			query(fmt.Sprintf(`process_resident_memory_bytes{%s}`, sel), "{{instance}} RSS"),
			query(fmt.Sprintf(`go_memstats_heap_inuse_bytes{%s}`, sel), "{{instance}} heap"))).
		WithPanel(timeSeries("Probes and lost events", "Attached uprobes and events lost per second.", "short", 12,
			query(fmt.Sprintf(`sum by (instance) (gopulse_agent_probes_attached{%s})`, sel), "{{instance}} attached"),
			query(fmt.Sprintf(`sum by (instance) (rate(gopulse_agent_events_lost_total{%s}[$__rate_interval]))`, sel), "{{instance}} lost/s"))).
		WithPanel(timeSeries("Agent goroutines", "Goroutines of the agent process itself.", "short", 12,
			query(fmt.Sprintf(`go_goroutines{%s}`, sel), "{{instance}}"))).
		WithRow(dashboard.NewRowBuilder("Exporters")).
		WithPanel(timeSeries("Sent / s", "Items delivered per second, by exporter.", "short", 8,
			query(fmt.Sprintf(`sum by (exporter) (rate(gopulse_exporter_sent_total{%s}[$__rate_interval]))`, sel), "{{exporter}}"))).
		WithPanel(timeSeries("Failed and dropped / s", "Failed sends (retried) and dropped items (lost), by exporter and reason.", "short", 8,
			query(fmt.Sprintf(`sum by (exporter, reason) (rate(gopulse_exporter_failed_total{%s}[$__rate_interval]))`, sel), "{{exporter}} failed {{reason}}"),
			query(fmt.Sprintf(`sum by (exporter, reason) (rate(gopulse_exporter_dropped_total{%s}[$__rate_interval]))`, sel), "{{exporter}} dropped {{reason}}"))).
		WithPanel(timeSeries("Queue on disk", "Bytes waiting in each exporter's on-disk queue.", "bytes", 8,
			query(fmt.Sprintf(`sum by (exporter) (gopulse_exporter_queue_bytes{%s})`, sel), "{{exporter}}")))
}
