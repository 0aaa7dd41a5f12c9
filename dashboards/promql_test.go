package dashboards

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// selector is one vector selector found in a PromQL expression: the metric
// name and the label names its matchers use.
type selector struct {
	Metric string
	Labels []string
}

// promqlKeywords are identifiers that are never metric names.
var promqlKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "atan2": true,
	"inf": true, "nan": true,
	// aggregation operators (may be followed by by/without before the '(')
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true,
	"stdvar": true, "count": true, "count_values": true, "bottomk": true, "topk": true,
	"quantile": true, "limitk": true, "limit_ratio": true,
}

// promqlLabelLists are keywords followed by a parenthesised list of label names.
var promqlLabelLists = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// extractSelectors returns the vector selectors of a PromQL expression
// (Grafana variables such as $__rate_interval allowed). It is a small lexer,
// not a full parser: enough to find every metric name and matcher label.
func extractSelectors(expr string) ([]selector, error) {
	var out []selector
	i, n := 0, len(expr)
	skipSpace := func(j int) int {
		for j < n && (expr[j] == ' ' || expr[j] == '\t' || expr[j] == '\n') {
			j++
		}
		return j
	}
	skipString := func(j int) (int, error) {
		q := expr[j]
		for j++; j < n; j++ {
			if expr[j] == '\\' && q != '`' {
				j++
				continue
			}
			if expr[j] == q {
				return j + 1, nil
			}
		}
		return 0, fmt.Errorf("unterminated string in %q", expr)
	}
	// matchers parses {a="x", b=~"y"} at j and returns the label names.
	matchers := func(j int) ([]string, int, error) {
		var labels []string
		j++ // '{'
		for {
			j = skipSpace(j)
			if j >= n {
				return nil, 0, fmt.Errorf("unterminated matchers in %q", expr)
			}
			if expr[j] == '}' {
				return labels, j + 1, nil
			}
			if expr[j] == ',' {
				j++
				continue
			}
			if !isIdentStart(expr[j]) {
				return nil, 0, fmt.Errorf("bad matcher at %d in %q", j, expr)
			}
			k := j
			for k < n && isIdentChar(expr[k]) {
				k++
			}
			labels = append(labels, expr[j:k])
			k = skipSpace(k)
			for k < n && strings.IndexByte("=!~", expr[k]) >= 0 {
				k++
			}
			k = skipSpace(k)
			if k >= n || strings.IndexByte("\"'`", expr[k]) < 0 {
				return nil, 0, fmt.Errorf("matcher %s without a value in %q", labels[len(labels)-1], expr)
			}
			var err error
			if j, err = skipString(k); err != nil {
				return nil, 0, err
			}
		}
	}
	for i < n {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			var err error
			if i, err = skipString(i); err != nil {
				return nil, err
			}
		case c == '[':
			k := strings.IndexByte(expr[i:], ']')
			if k < 0 {
				return nil, fmt.Errorf("unterminated range in %q", expr)
			}
			i += k + 1
		case c == '{':
			return nil, fmt.Errorf("selector without a metric name at %d in %q", i, expr)
		case c == '$': // a Grafana variable outside a string or range
			for i++; i < n && isIdentChar(expr[i]); i++ {
			}
		case c >= '0' && c <= '9' || c == '.':
			for i < n && (isIdentChar(expr[i]) || expr[i] == '.') {
				i++
			}
		case isIdentStart(c):
			j := i
			for j < n && isIdentChar(expr[j]) {
				j++
			}
			word := expr[i:j]
			k := skipSpace(j)
			switch {
			case promqlLabelLists[word]:
				if k < n && expr[k] == '(' {
					e := strings.IndexByte(expr[k:], ')')
					if e < 0 {
						return nil, fmt.Errorf("unterminated label list in %q", expr)
					}
					k += e + 1
				}
				i = k
			case promqlKeywords[strings.ToLower(word)]:
				i = j
			case k < n && expr[k] == '(': // function call
				i = j
			default:
				sel := selector{Metric: word}
				i = j
				if k < n && expr[k] == '{' {
					labels, e, err := matchers(k)
					if err != nil {
						return nil, err
					}
					sel.Labels, i = labels, e
				}
				out = append(out, sel)
			}
		default:
			i++
		}
	}
	return out, nil
}

// variableSelectors handles Grafana's label_values(selector, label).
func variableSelectors(q string) ([]selector, error) {
	q = strings.TrimSpace(q)
	if !strings.HasPrefix(q, "label_values(") || !strings.HasSuffix(q, ")") {
		return extractSelectors(q)
	}
	inner := q[len("label_values(") : len(q)-1]
	c := strings.LastIndexByte(inner, ',')
	if c < 0 {
		return nil, fmt.Errorf("label_values without a metric: %q", q)
	}
	sels, err := extractSelectors(inner[:c])
	if err != nil {
		return nil, err
	}
	if len(sels) != 1 {
		return nil, fmt.Errorf("label_values needs one selector: %q", q)
	}
	sels[0].Labels = append(sels[0].Labels, strings.TrimSpace(inner[c+1:]))
	return sels, nil
}

func TestExtractSelectors(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string // metric{label,label}
	}{
		{`up`, []string{"up{}"}},
		{`rate(http_requests_total{job="a", code=~"5.."}[$__rate_interval])`, []string{"http_requests_total{job,code}"}},
		{`histogram_quantile(0.99, sum by (le, service) (rate(x_seconds_bucket{pid=~"$pid"}[5m])))`, []string{"x_seconds_bucket{pid}"}},
		{`sum without (instance) (a) / on (job) group_left (x) b offset 5m`, []string{"a{}", "b{}"}},
		{`count(m{s="healthy"} == 1) or vector(0)`, []string{"m{s}"}},
		{`max by (service) ((m{state="unhealthy"} * 2) or (m{state="degraded"} * 1))`, []string{"m{state}", "m{state}"}},
		{`sum(rate(a_total{f=~"$format"}[$__rate_interval])) / clamp_min(sum(rate(b_total{f="}{"}[1m])), 1e-9)`, []string{"a_total{f}", "b_total{f}"}},
		{`topk(5, sum by (x) (ns:metric:rate5m))`, []string{"ns:metric:rate5m{}"}},
		{`a{l='it\'s'} and bool b`, []string{"a{l}", "b{}"}},
	} {
		sels, err := extractSelectors(tc.expr)
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		var got []string
		for _, s := range sels {
			got = append(got, s.Metric+"{"+strings.Join(s.Labels, ",")+"}")
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.expr, got, tc.want)
		}
	}
	for _, bad := range []string{`{__name__="x"}`, `a{l="x}`, `rate(a[5m`, `a{l}`} {
		if _, err := extractSelectors(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	sels, err := variableSelectors(`label_values(gopulse_go_info{service=~"$service"}, pid)`)
	if err != nil || len(sels) != 1 || sels[0].Metric != "gopulse_go_info" || !slices.Equal(sels[0].Labels, []string{"service", "pid"}) {
		t.Errorf("label_values: %+v, %v", sels, err)
	}
}
