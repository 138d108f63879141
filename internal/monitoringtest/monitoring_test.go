// Package monitoringtest holds the Prometheus rules, their unit tests and
// the Grafana dashboards in monitoring/ to the metrics call-processor
// exports (DESIGN.md, Observability: "Every Prometheus rule and Grafana
// panel names metrics the service exports; a test checks that").
//
// The PromQL parser (github.com/prometheus/prometheus/promql/parser) is not
// a dependency of this module, so metric names are taken out of expressions
// by metricNames, a small scanner with its own table test. promtool, when
// it is installed (scripts/check_monitoring.sh installs it), checks the
// dashboards' expressions with the real parser.
package monitoringtest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/tirevoice/assistant/internal/metrics"
)

// monitoringDir is monitoring/ from this package's directory, where go test
// runs.
var monitoringDir = filepath.Join("..", "..", "monitoring")

// exported returns every series name call-processor's registry exposes:
// counters and gauges by name, histograms as _bucket, _sum and _count,
// plus the Go and process collectors'. Every vector gets one label value
// first, since a vector without children is not gathered.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)

	collectors := 0
	v := reflect.ValueOf(m).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if _, ok := f.Interface().(prometheus.Collector); !ok {
			continue
		}
		collectors++
		get := f.MethodByName("GetMetricWithLabelValues")
		if !get.IsValid() {
			continue // a plain counter, gauge or histogram: always gathered
		}
		// The vector's label count is not exported; the right count is
		// the first that GetMetricWithLabelValues accepts.
		touched := false
		for n := 1; n <= 8 && !touched; n++ {
			args := make([]reflect.Value, n)
			for j := range args {
				args[j] = reflect.ValueOf("monitoringtest")
			}
			out := get.Call(args)
			touched = out[1].IsNil()
		}
		if !touched {
			t.Fatalf("metrics.Metrics.%s: no label count from 1 to 8 fits", v.Type().Field(i).Name)
		}
	}

	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	names := map[string]bool{}
	own := 0
	for _, mf := range families {
		name := mf.GetName()
		if strings.HasPrefix(name, "callproc_") {
			own++
		}
		switch typ := mf.GetType().String(); {
		case strings.HasSuffix(typ, "HISTOGRAM"):
			names[name+"_bucket"] = true
			names[name+"_sum"] = true
			names[name+"_count"] = true
		case typ == "SUMMARY":
			names[name] = true
			names[name+"_sum"] = true
			names[name+"_count"] = true
		default:
			names[name] = true
		}
	}
	// One family per field: a field that is not gathered would make the
	// check below blind to the rules and panels that use it.
	if own != collectors {
		t.Fatalf("gathered %d callproc_ families, metrics.Metrics has %d collectors", own, collectors)
	}
	return names
}

// promqlWords are the PromQL keywords that look like identifiers but are
// not followed by "(" (functions and aggregations are, and are skipped for
// it; metric names never are).
var promqlWords = map[string]bool{
	"and": true, "or": true, "unless": true, "atan2": true, "bool": true,
	"by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true, "offset": true,
	"inf": true, "nan": true,
}

var (
	reStrings   = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	reComment   = regexp.MustCompile(`#[^\n]*`)
	reMatchers  = regexp.MustCompile(`\{[^}]*\}`)
	reRanges    = regexp.MustCompile(`\[[^\]]*\]`)
	reGrouping  = regexp.MustCompile(`(?i)\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	reVariables = regexp.MustCompile(`\$\{[^}]*\}|\$\w+`)
	reIdent     = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
)

// metricNames returns the metric names expr selects, sorted and without
// repeats. It drops what can hold identifiers that are not metric names
// (strings, comments, label matchers, ranges and subqueries, grouping
// label lists, Grafana variables), then keeps each identifier that is not
// part of a number or duration, not a keyword, and not followed by "(".
func metricNames(expr string) []string {
	s := reStrings.ReplaceAllString(expr, `""`)
	s = reComment.ReplaceAllString(s, " ")
	s = reMatchers.ReplaceAllString(s, " ")
	s = reRanges.ReplaceAllString(s, " ")
	s = reGrouping.ReplaceAllString(s, " ")
	s = reVariables.ReplaceAllString(s, " ")
	seen := map[string]bool{}
	for _, loc := range reIdent.FindAllStringIndex(s, -1) {
		if loc[0] > 0 {
			// Part of a number (1e3, 0x1f, 2.5e-3) or a duration (5m).
			if c := s[loc[0]-1]; c >= '0' && c <= '9' || c == '.' {
				continue
			}
		}
		word := s[loc[0]:loc[1]]
		if promqlWords[strings.ToLower(word)] {
			continue
		}
		if rest := strings.TrimLeft(s[loc[1]:], " \t\r\n"); strings.HasPrefix(rest, "(") {
			continue // a function or an aggregation
		}
		seen[word] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func TestMetricNames(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want []string
	}{
		{"bare name", "callproc_active_calls", []string{"callproc_active_calls"}},
		{"matchers and range", `rate(callproc_calls_total{outcome="error",instance=~"a{1}b"}[5m])`, []string{"callproc_calls_total"}},
		{"aggregation with by before", "sum by (provider, le) (rate(a_total[5m]))", []string{"a_total"}},
		{"aggregation with by after", "sum(rate(a_total[5m])) by (provider)", []string{"a_total"}},
		{"binary with on and group_left", "a / on (instance) group_left (job) b", []string{"a", "b"}},
		{"binary with ignoring and bool", "a > bool ignoring(reason) b", []string{"a", "b"}},
		{"set operators, any case", "a and b OR c unless d", []string{"a", "b", "c", "d"}},
		{"numbers and durations", "a offset 30m > 1e3 * 2.5e-3 + 0x1f and b offset 1h30m", []string{"a", "b"}},
		{"functions are not metrics", "histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m]))) > 1.5", []string{"x_bucket"}},
		{"vector and time", "hour(vector(time() + 3 * 3600)) >= 9 or vector(0)", nil},
		{"recording rule name", "min_over_time(tirevoice:shop_open[30m]) == 1", []string{"tirevoice:shop_open"}},
		{"subquery", "max_over_time(rate(a_total[1m])[30m:1m])", []string{"a_total"}},
		{"strings in function arguments", `label_replace(a, "dst", "$1 b", "src", "(.*)")`, []string{"a"}},
		{"grafana variables", `sum(rate(a_total{instance=~"$instance"}[$__rate_interval])) / ${b}`, []string{"a_total"}},
		{"comment", "a # b is not here\n + c", []string{"a", "c"}},
		{"space before the parenthesis", "sum (a) + absent (b)", []string{"a", "b"}},
		{"Inf and NaN", "a > +Inf or b != NaN", []string{"a", "b"}},
		{"name only in matchers", `{__name__="a"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := metricNames(tt.expr)
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("metricNames(%q) = %q, want %q", tt.expr, got, tt.want)
			}
		})
	}
}

// Rule files (Prometheus rule file format, the parts used here).
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// Promtool unit test files (the parts used here).
type testFile struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		Name        string `yaml:"name"`
		InputSeries []struct {
			Series string `yaml:"series"`
		} `yaml:"input_series"`
		AlertRuleTests []struct {
			EvalTime  string `yaml:"eval_time"`
			Alertname string `yaml:"alertname"`
			ExpAlerts []struct {
				ExpLabels map[string]string `yaml:"exp_labels"`
			} `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
		PromQLExprTests []struct {
			Expr string `yaml:"expr"`
		} `yaml:"promql_expr_test"`
	} `yaml:"tests"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(monitoringDir, pattern))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no files match monitoring/%s", pattern)
	}
	return files
}

type loadedRule struct {
	file string
	rule
}

func loadRules(t *testing.T) []loadedRule {
	t.Helper()
	var rules []loadedRule
	for _, path := range glob(t, "prometheus/rules/*.yml") {
		var rf ruleFile
		readYAML(t, path, &rf)
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				rules = append(rules, loadedRule{filepath.Base(path), r})
			}
		}
	}
	return rules
}

// recorded returns the names the rule files record: rules may read them.
func recorded(rules []loadedRule) map[string]bool {
	names := map[string]bool{}
	for _, r := range rules {
		if r.Record != "" {
			names[r.Record] = true
		}
	}
	return names
}

// checkNames fails for each metric expr selects that is neither exported,
// nor up, nor recorded by a rule.
func checkNames(t *testing.T, where, expr string, exp, rec map[string]bool) {
	t.Helper()
	if strings.TrimSpace(expr) == "" {
		t.Errorf("%s: empty expression", where)
		return
	}
	for _, n := range metricNames(expr) {
		if !exp[n] && !rec[n] && n != "up" {
			t.Errorf("%s uses %s, which call-processor does not export", where, n)
		}
	}
}

func TestRulesUseExportedMetrics(t *testing.T) {
	exp := exported(t)
	rules := loadRules(t)
	rec := recorded(rules)
	for _, r := range rules {
		name := r.Alert + r.Record
		checkNames(t, fmt.Sprintf("%s: %s", r.file, name), r.Expr, exp, rec)
	}
}

var reRunbook = regexp.MustCompile(`^docs/operations\.md#([a-z0-9-]+)$`)

// anchors returns the GitHub anchors of a Markdown file's headings.
func anchors(t *testing.T, path string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	keep := regexp.MustCompile(`[^a-z0-9 _-]`)
	out := map[string]bool{}
	for line := range strings.SplitSeq(string(b), "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.TrimSpace(strings.TrimLeft(line, "#"))
		out[strings.ReplaceAll(keep.ReplaceAllString(strings.ToLower(h), ""), " ", "-")] = true
	}
	return out
}

func TestAlertsAreDocumented(t *testing.T) {
	ops := anchors(t, filepath.Join(monitoringDir, "..", "docs", "operations.md"))
	for _, r := range loadRules(t) {
		if r.Alert == "" {
			continue
		}
		where := r.file + ": " + r.Alert
		if sev := r.Labels["severity"]; sev != "warning" && sev != "critical" {
			t.Errorf("%s: severity %q, want warning or critical", where, sev)
		}
		for _, a := range []string{"summary", "description", "runbook"} {
			if strings.TrimSpace(r.Annotations[a]) == "" {
				t.Errorf("%s: no %s annotation", where, a)
			}
		}
		m := reRunbook.FindStringSubmatch(r.Annotations["runbook"])
		if m == nil {
			t.Errorf("%s: runbook %q is not docs/operations.md#section", where, r.Annotations["runbook"])
			continue
		}
		if !ops[m[1]] {
			t.Errorf("%s: docs/operations.md has no heading for #%s", where, m[1])
		}
	}
}

// TestAlertsAreTested holds the promtool unit tests to the rules: every
// rule file is loaded by a test file, every alert has a case where it
// fires and one where it stays quiet, and fires at each of its
// severities; every input series is a metric the service exports.
func TestAlertsAreTested(t *testing.T) {
	exp := exported(t)
	rules := loadRules(t)
	rec := recorded(rules)

	loaded := map[string]bool{}
	fires := map[string]map[string]bool{} // alertname -> severities seen firing
	quiet := map[string]bool{}
	for _, path := range glob(t, "prometheus/tests/*.yml") {
		var tf testFile
		readYAML(t, path, &tf)
		for _, rf := range tf.RuleFiles {
			loaded[filepath.Base(rf)] = true
		}
		for _, tc := range tf.Tests {
			where := fmt.Sprintf("%s: %q", filepath.Base(path), tc.Name)
			for _, s := range tc.InputSeries {
				series := s.Series
				if i := strings.IndexByte(series, '{'); i >= 0 {
					series = series[:i]
				}
				checkNames(t, where+": input series", series, exp, rec)
			}
			for _, e := range tc.PromQLExprTests {
				checkNames(t, where+": promql_expr_test", e.Expr, exp, rec)
			}
			for _, a := range tc.AlertRuleTests {
				if len(a.ExpAlerts) == 0 {
					quiet[a.Alertname] = true
				}
				for _, e := range a.ExpAlerts {
					if fires[a.Alertname] == nil {
						fires[a.Alertname] = map[string]bool{}
					}
					fires[a.Alertname][e.ExpLabels["severity"]] = true
				}
			}
		}
	}

	for _, r := range rules {
		if !loaded[r.file] {
			t.Errorf("rules/%s: no test file loads it", r.file)
			loaded[r.file] = true // once
		}
		if r.Alert == "" {
			continue
		}
		if !fires[r.Alert][r.Labels["severity"]] {
			t.Errorf("%s: no test case where it fires with severity %q", r.Alert, r.Labels["severity"])
		}
		if !quiet[r.Alert] {
			t.Errorf("%s: no test case where it stays quiet", r.Alert)
			quiet[r.Alert] = true // once
		}
	}
}

// TestPrometheusConfigs keeps the compose and native staging configs in
// step: same jobs (the rules select call-processor by job), same rules.
func TestPrometheusConfigs(t *testing.T) {
	type config struct {
		Global struct {
			ExternalLabels map[string]string `yaml:"external_labels"`
		} `yaml:"global"`
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName string `yaml:"job_name"`
		} `yaml:"scrape_configs"`
	}
	load := func(name string) (c config, jobs []string) {
		readYAML(t, filepath.Join(monitoringDir, "prometheus", name), &c)
		for _, s := range c.ScrapeConfigs {
			jobs = append(jobs, s.JobName)
		}
		sort.Strings(jobs)
		return c, jobs
	}
	compose, composeJobs := load("prometheus.yml")
	native, nativeJobs := load("prometheus.staging-native.yml")
	if !slices.Contains(composeJobs, "call-processor") {
		t.Errorf("prometheus.yml: no call-processor job; jobs %q", composeJobs)
	}
	if !slices.Equal(composeJobs, nativeJobs) {
		t.Errorf("scrape jobs differ: prometheus.yml %q, prometheus.staging-native.yml %q", composeJobs, nativeJobs)
	}
	if !slices.Equal(compose.RuleFiles, native.RuleFiles) {
		t.Errorf("rule_files differ: prometheus.yml %q, prometheus.staging-native.yml %q", compose.RuleFiles, native.RuleFiles)
	}
	for name, c := range map[string]config{"prometheus.yml": compose, "prometheus.staging-native.yml": native} {
		if c.Global.ExternalLabels["environment"] == "" {
			t.Errorf("%s: no environment external label", name)
		}
	}
}

// Grafana dashboard JSON (the parts used here).
type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Datasource *datasource     `json:"datasource"`
			Query      json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int         `json:"id"`
	Type       string      `json:"type"`
	Title      string      `json:"title"`
	Datasource *datasource `json:"datasource"`
	Targets    []struct {
		RefID      string      `json:"refId"`
		Expr       string      `json:"expr"`
		Datasource *datasource `json:"datasource"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// provisionedUID is the uid of the datasource Grafana is provisioned with.
func provisionedUID(t *testing.T) string {
	t.Helper()
	var p struct {
		Datasources []struct {
			UID  string `yaml:"uid"`
			Type string `yaml:"type"`
		} `yaml:"datasources"`
	}
	readYAML(t, filepath.Join(monitoringDir, "grafana", "provisioning", "datasources", "prometheus.yml"), &p)
	if len(p.Datasources) != 1 || p.Datasources[0].UID == "" || p.Datasources[0].Type != "prometheus" {
		t.Fatalf("datasource provisioning: want one prometheus datasource with a uid, got %+v", p.Datasources)
	}
	return p.Datasources[0].UID
}

type loadedDashboard struct {
	file string
	dashboard
}

func loadDashboards(t *testing.T) []loadedDashboard {
	t.Helper()
	var out []loadedDashboard
	for _, path := range glob(t, "grafana/dashboards/*.json") {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, loadedDashboard{filepath.Base(path), d})
	}
	return out
}

// walkPanels calls fn for each panel, rows' panels included.
func walkPanels(ps []panel, fn func(panel)) {
	for _, p := range ps {
		fn(p)
		walkPanels(p.Panels, fn)
	}
}

// variableQuery is a query variable's query: a string, or an object with
// a "query" string, depending on the Grafana version that wrote it.
func variableQuery(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Query string `json:"query"`
	}
	_ = json.Unmarshal(raw, &o)
	return o.Query
}

var reLabelValues = regexp.MustCompile(`^\s*label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$`)

func TestDashboards(t *testing.T) {
	exp := exported(t)
	rec := recorded(loadRules(t))
	uid := provisionedUID(t)
	uids := map[string]string{}
	for _, d := range loadDashboards(t) {
		if d.UID == "" || d.Title == "" || d.SchemaVersion == 0 {
			t.Errorf("%s: uid %q, title %q, schemaVersion %d: all are required", d.file, d.UID, d.Title, d.SchemaVersion)
		}
		if other, ok := uids[d.UID]; ok {
			t.Errorf("%s: uid %q is also the uid of %s", d.file, d.UID, other)
		}
		uids[d.UID] = d.file

		checkDS := func(where string, ds *datasource) {
			if ds == nil || ds.UID != uid {
				t.Errorf("%s: datasource %+v, want uid %q", where, ds, uid)
			}
		}
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			where := fmt.Sprintf("%s: variable %s", d.file, v.Name)
			checkDS(where, v.Datasource)
			q := variableQuery(v.Query)
			if m := reLabelValues.FindStringSubmatch(q); m != nil {
				q = m[1]
			}
			checkNames(t, where, q, exp, rec)
		}

		ids := map[int]bool{}
		panels := 0
		walkPanels(d.Panels, func(p panel) {
			if p.Type == "row" {
				return
			}
			panels++
			where := fmt.Sprintf("%s: panel %d %q", d.file, p.ID, p.Title)
			if ids[p.ID] {
				t.Errorf("%s: id %d repeats", where, p.ID)
			}
			ids[p.ID] = true
			checkDS(where, p.Datasource)
			if len(p.Targets) == 0 {
				t.Errorf("%s: no targets", where)
			}
			for _, tg := range p.Targets {
				if tg.Datasource != nil {
					checkDS(where+" target "+tg.RefID, tg.Datasource)
				}
				checkNames(t, where+" target "+tg.RefID, tg.Expr, exp, rec)
			}
		})
		if panels == 0 {
			t.Errorf("%s: no panels", d.file)
		}
	}
}

// grafanaVariables stand in for Grafana's variables when promtool parses a
// panel's expression.
var grafanaVariables = strings.NewReplacer(
	"$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h", "$instance", ".*",
)

// TestDashboardQueriesParse parses every panel expression with promtool,
// the real PromQL parser, as recording rules. It needs promtool on PATH
// (Debian package prometheus; scripts/check_monitoring.sh installs it).
func TestDashboardQueriesParse(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed: run scripts/check_monitoring.sh")
	}
	type recording struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	// Each expression is recorded as <dashboard uid>:panel<id>:<refId>, so
	// that promtool's complaint names the panel.
	name := strings.NewReplacer("-", "_", ".", "_")
	var rules []recording
	for _, d := range loadDashboards(t) {
		walkPanels(d.Panels, func(p panel) {
			for _, tg := range p.Targets {
				record := fmt.Sprintf("%s:panel%d:%s", name.Replace(d.UID), p.ID, tg.RefID)
				rules = append(rules, recording{record, grafanaVariables.Replace(tg.Expr)})
			}
		})
	}
	doc := map[string]any{"groups": []any{map[string]any{"name": "dashboards", "rules": rules}}}
	b, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dashboards.yml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules (records are <dashboard uid>:panel<id>:<refId>): %v\n%s", err, out)
	}
}
