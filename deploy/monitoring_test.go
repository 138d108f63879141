package deploy

import (
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"
)

// readYAML decodes a monitoring file; a file not written yet skips the test
// (monitoring/ is maintained separately).
func readYAML(t *testing.T, rel string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if os.IsNotExist(err) {
		t.Skipf("%s not written yet", rel)
	}
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return doc
}

// collect returns every string value under a key called key, anywhere in doc.
func collect(doc any, key string) []string {
	var out []string
	var walk func(any)
	walk = func(n any) {
		switch n := n.(type) {
		case map[string]any:
			for k, v := range n {
				if k == key {
					switch v := v.(type) {
					case string:
						out = append(out, v)
					case []any:
						for _, s := range v {
							if s, ok := s.(string); ok {
								out = append(out, s)
							}
						}
					}
				}
				walk(v)
			}
		case []any:
			for _, v := range n {
				walk(v)
			}
		}
	}
	walk(doc)
	return out
}

// hasContainerPort reports whether a service of the stack listens on port
// (as its compose ports say).
func hasContainerPort(p *types.Project, service string, port string) bool {
	svc, ok := p.Services[service]
	return ok && slices.ContainsFunc(svc.Ports, func(pc types.ServicePortConfig) bool {
		return strconv.Itoa(int(pc.Target)) == port
	})
}

// mountTarget reports whether service mounts something on target.
func mountTarget(svc types.ServiceConfig, target string) bool {
	return slices.ContainsFunc(svc.Volumes, func(v types.ServiceVolumeConfig) bool { return v.Target == target })
}

// The monitoring configuration names the compose services and paths as the
// stacks run them.
func TestMonitoringWiring(t *testing.T) {
	t.Run("prometheus targets", func(t *testing.T) {
		doc := readYAML(t, "monitoring/prometheus/prometheus.yml")
		for _, s := range stacks {
			p := s.mustLoad(t)
			for _, target := range collect(doc, "targets") {
				host, port, err := net.SplitHostPort(target)
				if err != nil || (host != "localhost" && !hasContainerPort(p, host, port)) {
					t.Errorf("%s: prometheus.yml target %q is no service port of the stack", s.name, target)
				}
			}
			for _, rules := range collect(doc, "rule_files") {
				dir := path.Join("/etc/prometheus", path.Dir(rules))
				if !mountTarget(p.Services["prometheus"], dir) {
					t.Errorf("%s: rule_files %q: nothing mounted on %s", s.name, rules, dir)
				}
			}
		}
	})
	t.Run("grafana datasource", func(t *testing.T) {
		doc := readYAML(t, "monitoring/grafana/provisioning/datasources/prometheus.yml")
		for _, s := range stacks {
			p := s.mustLoad(t)
			for _, raw := range collect(doc, "url") {
				u, err := url.Parse(raw)
				if err != nil || !hasContainerPort(p, u.Hostname(), u.Port()) {
					t.Errorf("%s: datasource url %q is no service port of the stack", s.name, raw)
				}
			}
		}
	})
	t.Run("grafana dashboards", func(t *testing.T) {
		doc := readYAML(t, "monitoring/grafana/provisioning/dashboards/dashboards.yml")
		for _, s := range stacks {
			grafana := s.mustLoad(t).Services["grafana"]
			for _, dir := range collect(doc, "path") {
				if !mountTarget(grafana, dir) {
					t.Errorf("%s: the dashboard provider reads %s; grafana mounts nothing there", s.name, dir)
				}
			}
		}
	})
	t.Run("alertmanager secrets", func(t *testing.T) {
		doc := readYAML(t, "monitoring/alertmanager/alertmanager.yml")
		am := production.mustLoad(t).Services["alertmanager"]
		for _, file := range collect(doc, "credentials_file") {
			if !slices.ContainsFunc(am.Secrets, func(s types.ServiceSecretConfig) bool { return s.Target == file }) {
				t.Errorf("production alertmanager reads %s; no secret is mounted there", file)
			}
		}
	})
}
