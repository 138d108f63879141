package deploy

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/tirevoice/assistant/internal/config"
)

// root is the repository root, where the compose files live.
const root = ".."

// A stack is one compose file, loaded the way its documented command loads
// it: with the env files named there and the settings an operator must add.
type stack struct {
	name       string            // production, dev or staging
	file       string            // compose file, relative to root
	envFiles   []string          // --env-file, relative to root
	env        map[string]string // the operator's own settings
	project    string            // expected project name
	namePrefix string            // of every network and volume name
	bindIP     string            // host address every port is published on
}

// productionEnv stands in for what an operator sets in .env for production
// (the variables docker-compose.yml requires).
var productionEnv = map[string]string{
	"TIREVOICE_VERSION":        "1.0.0",
	"INTERNAL_BIND_IP":         "10.20.0.5",
	"AUDIOSOCKET_ALLOWED_NETS": "10.20.1.0/24",
	"DIALPLAN_ALLOWED_NETS":    "10.20.1.0/24",
	"STORE_API_URL":            "https://store.example.test",
}

var (
	production = stack{name: "production", file: "docker-compose.yml", envFiles: []string{".env.example"},
		env: productionEnv, project: "tirevoice", namePrefix: "tirevoice-prod-", bindIP: "10.20.0.5"}
	dev = stack{name: "dev", file: "docker-compose.dev.yml",
		project: "tirevoice-dev", namePrefix: "tirevoice-dev", bindIP: "127.0.0.1"}
	staging = stack{name: "staging", file: "docker-compose.staging.yml", envFiles: []string{".env.staging"},
		project: "tirevoice-staging", namePrefix: "tirevoice-staging", bindIP: "127.0.0.1"}
	stacks = []stack{production, dev, staging}
)

// The seeder is the one service that is not long-running.
const seeder = "seeder"

// wantServices is what each stack runs.
var wantServices = map[string][]string{
	"production": {"alertmanager", "call-processor", "grafana", "postgres", "prometheus", "redis"},
	"dev":        {"alertmanager", "asterisk", "call-processor", "grafana", "postgres", "prometheus", "redis", seeder, "store-api-mock"},
	"staging":    {"alertmanager", "asterisk", "call-processor", "grafana", "postgres", "prometheus", "redis", seeder, "store-api-mock"},
}

// load loads the stack with compose-go as `docker compose` would, with
// every profile enabled; extra settings override the stack's. No Docker
// engine is involved, and the process environment is not consulted.
func (s stack) load(extra map[string]string) (*types.Project, error) {
	env := maps.Clone(s.env)
	if env == nil {
		env = map[string]string{}
	}
	maps.Copy(env, extra)
	var kv []string
	for k, v := range env {
		kv = append(kv, k+"="+v)
	}
	opts := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(root),
		cli.WithEnv(kv),
	}
	if len(s.envFiles) > 0 {
		// Without an explicit file compose would read a developer's .env.
		var files []string
		for _, f := range s.envFiles {
			files = append(files, filepath.Join(root, f))
		}
		opts = append(opts, cli.WithEnvFiles(files...))
	}
	opts = append(opts,
		cli.WithDotEnv,
		cli.WithProfiles([]string{"*"}),
		cli.WithResolvedPaths(true),
		// env_file entries (.env, .env.staging.local) are local files: leave them.
		cli.WithoutEnvironmentResolution,
	)
	o, err := cli.NewProjectOptions([]string{filepath.Join(root, s.file)}, opts...)
	if err != nil {
		return nil, err
	}
	return o.LoadProject(context.Background())
}

func (s stack) mustLoad(t *testing.T) *types.Project {
	t.Helper()
	p, err := s.load(nil)
	if err != nil {
		t.Fatalf("%s: load %s: %v", s.name, s.file, err)
	}
	return p
}

func TestStacksLoad(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			p := s.mustLoad(t)
			if p.Name != s.project {
				t.Errorf("project name %q, want %q", p.Name, s.project)
			}
			if got := slices.Sorted(maps.Keys(p.Services)); !slices.Equal(got, wantServices[s.name]) {
				t.Errorf("services %v, want %v", got, wantServices[s.name])
			}
		})
	}
}

// Production must not start on defaults where there are none that are safe.
func TestProductionRequiresItsSettings(t *testing.T) {
	for name := range productionEnv {
		t.Run(name, func(t *testing.T) {
			_, err := production.load(map[string]string{name: ""})
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("production with %s empty: err = %v, want an error naming it", name, err)
			}
		})
	}
}

func TestHealthchecks(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			for name, svc := range s.mustLoad(t).Services {
				hc := svc.HealthCheck
				if name == seeder {
					if hc == nil || !hc.Disable {
						t.Errorf("%s: a one-shot job: its healthcheck (the image's) must be disabled", name)
					}
					continue
				}
				if hc == nil || hc.Disable || len(hc.Test) < 2 || hc.Test[0] == "NONE" {
					t.Errorf("%s: no healthcheck", name)
					continue
				}
				if hc.Interval == nil || hc.Timeout == nil || hc.Retries == nil {
					t.Errorf("%s: healthcheck without interval, timeout and retries", name)
				}
			}
		})
	}
}

// Our images check themselves with their own subcommand (distroless: no
// shell, no curl); Asterisk proves the AudioSocket modules are loaded.
func TestHealthcheckCommands(t *testing.T) {
	want := map[string][]string{
		"call-processor": {"CMD", "/usr/local/bin/call-processor", "healthcheck"},
		"store-api-mock": {"CMD", "/usr/local/bin/store-api-mock", "healthcheck"},
	}
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			for name, svc := range s.mustLoad(t).Services {
				if w, ok := want[name]; ok && !slices.Equal(svc.HealthCheck.Test, w) {
					t.Errorf("%s healthcheck %q, want %q", name, svc.HealthCheck.Test, w)
				}
				if name == "asterisk" {
					test := strings.Join(svc.HealthCheck.Test, " ")
					for _, m := range []string{"module show like audiosocket", "app_audiosocket", "res_audiosocket"} {
						if !strings.Contains(test, m) {
							t.Errorf("asterisk healthcheck %q does not check %q", test, m)
						}
					}
				}
			}
		})
	}
}

func TestImagesPinned(t *testing.T) {
	targets := dockerfileTargets(t)
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			for name, svc := range s.mustLoad(t).Services {
				if svc.Image == "" {
					t.Errorf("%s: no image name", name)
					continue
				}
				if tag := imageTag(svc.Image); tag == "" || tag == "latest" {
					t.Errorf("%s: image %q is not pinned to a tag", name, svc.Image)
				}
				if b := svc.Build; b != nil {
					if _, err := os.Stat(filepath.Join(b.Context, b.Dockerfile)); err != nil {
						t.Errorf("%s: build: %v", name, err)
					}
					if !slices.Contains(targets, b.Target) {
						t.Errorf("%s: build target %q is not a stage of deploy/Dockerfile %v", name, b.Target, targets)
					}
				}
			}
		})
	}
	// Production runs released images, never a local build.
	for name, svc := range production.mustLoad(t).Services {
		if svc.Build != nil {
			t.Errorf("production %s is built locally; it must run a released image", name)
		}
	}
}

// imageTag returns the tag of an image reference, "" when it has none.
func imageTag(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	name := ref[strings.LastIndex(ref, "/")+1:]
	_, tag, _ := strings.Cut(name, ":")
	return tag
}

// portRow is one line of DESIGN.md's "Environments and ports" table: the
// host port of a container port in each stack; 0 where it is not published.
type portRow struct {
	service                  string
	target                   uint32
	proto                    string
	production, dev, staging uint32
}

// PostgreSQL and Redis are on production's internal network only; there is
// no store-api-mock or Asterisk in production (the PBX is elsewhere).
var portTable = []portRow{
	{"call-processor", 8080, "tcp", 8080, 8080, 18080},
	{"call-processor", 9092, "tcp", 9092, 9092, 19092},
	{"store-api-mock", 8081, "tcp", 0, 8081, 18081},
	{"postgres", 5432, "tcp", 0, 5432, 15432},
	{"redis", 6379, "tcp", 0, 6379, 16379},
	{"prometheus", 9090, "tcp", 9090, 9090, 19090},
	{"grafana", 3000, "tcp", 3000, 3000, 13000},
	{"alertmanager", 9093, "tcp", 9093, 9093, 19093},
	{"asterisk", 5060, "udp", 0, 5060, 15060},
}

func (r portRow) host(stack string) uint32 {
	switch stack {
	case "production":
		return r.production
	case "dev":
		return r.dev
	}
	return r.staging
}

// published is one published port: "service 8080/tcp -> 18080".
type published struct {
	service string
	target  uint32
	proto   string
	hostIP  string
	host    string
}

func (p published) String() string {
	return fmt.Sprintf("%s %d/%s -> %s:%s", p.service, p.target, p.proto, p.hostIP, p.host)
}

func publishedPorts(p *types.Project) []published {
	var out []published
	for name, svc := range p.Services {
		for _, port := range svc.Ports {
			proto := port.Protocol
			if proto == "" {
				proto = "tcp"
			}
			out = append(out, published{name, port.Target, proto, port.HostIP, port.Published})
		}
	}
	return out
}

func TestPorts(t *testing.T) {
	rtpStart, rtpEnd := rtpRange(t)
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			p := s.mustLoad(t)
			want := map[string]bool{}
			for _, r := range portTable {
				if _, ok := p.Services[r.service]; ok && r.host(s.name) != 0 {
					want[fmt.Sprintf("%s %d/%s -> %s:%d", r.service, r.target, r.proto, s.bindIP, r.host(s.name))] = true
				}
			}
			got := map[string]bool{}
			var rtp []uint32
			for _, pp := range publishedPorts(p) {
				if pp.service == "asterisk" && pp.proto == "udp" && pp.target >= rtpStart && pp.target <= rtpEnd {
					if pp.host != fmt.Sprint(pp.target) || pp.hostIP != s.bindIP {
						t.Errorf("RTP port not published 1:1 on %s: %v", s.bindIP, pp)
					}
					rtp = append(rtp, pp.target)
					continue
				}
				got[pp.String()] = true
			}
			for k := range want {
				if !got[k] {
					t.Errorf("missing %s", k)
				}
			}
			for k := range got {
				if !want[k] {
					t.Errorf("unexpected %s (not in DESIGN.md's port table)", k)
				}
			}
			// Media flows only if the whole range of rtp.conf is reachable:
			// staging publishes it for a softphone, the others do not.
			if s.name == "staging" && uint32(len(rtp)) != rtpEnd-rtpStart+1 {
				t.Errorf("staging publishes %d RTP ports, want rtp.conf's %d-%d", len(rtp), rtpStart, rtpEnd)
			}
			if s.name != "staging" && len(rtp) > 0 {
				t.Errorf("%s publishes RTP ports %v; only staging does", s.name, rtp)
			}
		})
	}
	for _, r := range portTable {
		if r.dev != 0 && r.staging != r.dev+10000 {
			t.Errorf("port table: %s %d: staging %d is not dev + 10000", r.service, r.target, r.staging)
		}
	}
}

// Dev and staging run side by side on one machine.
func TestDevAndStagingShareNoHostPort(t *testing.T) {
	used := map[string]string{}
	for _, pp := range publishedPorts(dev.mustLoad(t)) {
		used[pp.host+"/"+pp.proto] = pp.String()
	}
	for _, pp := range publishedPorts(staging.mustLoad(t)) {
		if d, ok := used[pp.host+"/"+pp.proto]; ok {
			t.Errorf("staging %v and dev %v use the same host port", pp, d)
		}
	}
}

// AudioSocket has no authentication (DESIGN.md, "Security"): never on all
// interfaces; on the loopback only in dev and staging.
func TestAudioSocketNotPublic(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			for _, pp := range publishedPorts(s.mustLoad(t)) {
				if pp.service != "call-processor" || pp.target != 9092 {
					continue
				}
				ip, err := netip.ParseAddr(pp.hostIP)
				switch {
				case err != nil || ip.IsUnspecified():
					t.Errorf("AudioSocket published on all interfaces: %v", pp)
				case s.name != "production" && !ip.IsLoopback():
					t.Errorf("AudioSocket published beyond the loopback: %v", pp)
				}
			}
		})
	}
}

// dataVolumes are the services' state: each on a named volume of its stack.
var dataVolumes = map[string]string{
	"call-processor": "/data/spool",
	"postgres":       "/var/lib/postgresql/data",
	"redis":          "/data",
	"prometheus":     "/prometheus",
	"grafana":        "/var/lib/grafana",
	"alertmanager":   "/alertmanager",
}

func TestNamedVolumes(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			p := s.mustLoad(t)
			for svcName, target := range dataVolumes {
				var found bool
				for _, v := range p.Services[svcName].Volumes {
					if v.Target != target {
						continue
					}
					found = true
					vol, ok := p.Volumes[v.Source]
					if v.Type != types.VolumeTypeVolume || !ok {
						t.Errorf("%s %s: %s %q is not a named volume of the stack", svcName, target, v.Type, v.Source)
					} else if !strings.HasPrefix(vol.Name, s.namePrefix) {
						t.Errorf("%s %s: volume name %q, want prefix %q", svcName, target, vol.Name, s.namePrefix)
					}
				}
				if !found {
					t.Errorf("%s: nothing mounted on %s", svcName, target)
				}
			}
		})
	}
}

func TestResourceLimits(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			for name, svc := range s.mustLoad(t).Services {
				if l := limits(svc); l == nil || l.NanoCPUs <= 0 || l.MemoryBytes <= 0 {
					t.Errorf("%s: no CPU and memory limits", name)
				}
			}
		})
	}
	// Staging is a rehearsal: limits close to production's.
	prod, stg := production.mustLoad(t), staging.mustLoad(t)
	for name, ps := range prod.Services {
		pl, sl := limits(ps), limits(stg.Services[name])
		if pl == nil || sl == nil {
			continue
		}
		if sl.NanoCPUs < pl.NanoCPUs/2 || sl.NanoCPUs > pl.NanoCPUs {
			t.Errorf("%s: staging cpus %v, production %v: want between half and all of it", name, sl.NanoCPUs, pl.NanoCPUs)
		}
		if sl.MemoryBytes < pl.MemoryBytes/2 || sl.MemoryBytes > pl.MemoryBytes {
			t.Errorf("%s: staging memory %d, production %d: want between half and all of it", name, sl.MemoryBytes, pl.MemoryBytes)
		}
	}
}

func limits(svc types.ServiceConfig) *types.Resource {
	if svc.Deploy == nil {
		return nil
	}
	return svc.Deploy.Resources.Limits
}

func TestRestartPolicies(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			for name, svc := range s.mustLoad(t).Services {
				want := []string{types.RestartPolicyUnlessStopped, types.RestartPolicyAlways}
				if name == seeder {
					want = []string{types.RestartPolicyNo}
				}
				if !slices.Contains(want, svc.Restart) {
					t.Errorf("%s: restart %q, want one of %q", name, svc.Restart, want)
				}
			}
		})
	}
}

// wantDeps is the start-up order: what each service waits for, and how,
// wherever both services are in the stack.
var wantDeps = map[string]map[string]string{
	"call-processor": {"postgres": types.ServiceConditionHealthy, "redis": types.ServiceConditionHealthy, "store-api-mock": types.ServiceConditionHealthy},
	// The processor applies the migrations at start; the seeder fills the
	// tables it made.
	seeder:     {"postgres": types.ServiceConditionHealthy, "store-api-mock": types.ServiceConditionHealthy, "call-processor": types.ServiceConditionHealthy},
	"asterisk": {"call-processor": types.ServiceConditionHealthy, seeder: types.ServiceConditionCompletedSuccessfully},
	"grafana":  {"prometheus": types.ServiceConditionHealthy},
}

func TestDependsOn(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			p := s.mustLoad(t)
			for name, svc := range p.Services {
				for dep, d := range svc.DependsOn {
					switch {
					case d.Condition == types.ServiceConditionCompletedSuccessfully && dep != seeder:
						t.Errorf("%s waits for %s to complete; only the seeder completes", name, dep)
					case d.Condition == types.ServiceConditionHealthy:
						if hc := p.Services[dep].HealthCheck; hc == nil || hc.Disable {
							t.Errorf("%s waits for %s to be healthy, which has no healthcheck", name, dep)
						}
					case d.Condition != types.ServiceConditionCompletedSuccessfully:
						t.Errorf("%s depends on %s with condition %q", name, dep, d.Condition)
					}
				}
				for dep, cond := range wantDeps[name] {
					if _, ok := p.Services[dep]; !ok {
						continue
					}
					if got := svc.DependsOn[dep].Condition; got != cond {
						t.Errorf("%s on %s: condition %q, want %q", name, dep, got, cond)
					}
				}
			}
		})
	}
}

// Staging can touch nothing of production's: names, credentials, secrets.
func TestStagingIsolated(t *testing.T) {
	loaded := map[string]*types.Project{}
	for _, s := range stacks {
		loaded[s.name] = s.mustLoad(t)
	}
	owner := map[string]string{} // network or volume name -> stack
	for _, s := range stacks {
		p := loaded[s.name]
		var names []string
		for key, n := range p.Networks {
			if n.External {
				t.Errorf("%s: network %s is external", s.name, key)
			}
			names = append(names, n.Name)
		}
		for key, v := range p.Volumes {
			if v.External {
				t.Errorf("%s: volume %s is external", s.name, key)
			}
			names = append(names, v.Name)
		}
		for _, n := range names {
			if !strings.HasPrefix(n, s.namePrefix) {
				t.Errorf("%s: network or volume %q is not named %s*", s.name, n, s.namePrefix)
			}
			if other, ok := owner[n]; ok {
				t.Errorf("%s and %s both use %q", other, s.name, n)
			}
			owner[n] = s.name
		}
	}
	stg := loaded["staging"]
	if len(stg.Secrets) > 0 {
		t.Errorf("staging uses Docker secrets %v: production's live in SECRETS_DIR", slices.Collect(maps.Keys(stg.Secrets)))
	}
	raw, err := os.ReadFile(filepath.Join(root, staging.file))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"SECRETS_DIR", "/run/secrets", "tirevoice-prod"} {
		if strings.Contains(string(raw), s) {
			t.Errorf("%s mentions %q", staging.file, s)
		}
	}
	// Its own database and key space.
	redisPrefix := func(p *types.Project) string {
		if prefix := env(p.Services["call-processor"])["REDIS_PREFIX"]; prefix != "" {
			return prefix
		}
		for _, v := range config.Vars() {
			if v.Name == "REDIS_PREFIX" {
				return v.Default
			}
		}
		return ""
	}
	for _, other := range []string{"production", "dev"} {
		o := loaded[other]
		if pg, spg := env(o.Services["postgres"]), env(stg.Services["postgres"]); pg["POSTGRES_DB"] == spg["POSTGRES_DB"] || pg["POSTGRES_USER"] == spg["POSTGRES_USER"] {
			t.Errorf("staging's PostgreSQL database or role is %s's", other)
		}
		if redisPrefix(o) == redisPrefix(stg) {
			t.Errorf("staging's REDIS_PREFIX %q is %s's", redisPrefix(stg), other)
		}
	}
	// Subnets: the dev and staging networks must be able to coexist.
	var subnets []netip.Prefix
	for _, name := range []string{"dev", "staging"} {
		for _, n := range loaded[name].Networks {
			for _, c := range n.Ipam.Config {
				pfx, err := netip.ParsePrefix(c.Subnet)
				if err != nil {
					t.Errorf("%s subnet: %v", name, err)
					continue
				}
				for _, other := range subnets {
					if pfx.Overlaps(other) {
						t.Errorf("%s subnet %s overlaps %s", name, pfx, other)
					}
				}
				subnets = append(subnets, pfx)
			}
		}
	}
}

// env returns a service's environment with every value resolved.
func env(svc types.ServiceConfig) map[string]string {
	m := map[string]string{}
	for k, v := range svc.Environment {
		if v != nil {
			m[k] = *v
		}
	}
	return m
}

// Each stack's call-processor settings pass the processor's own checks,
// production's too (with stand-in secret files).
func TestProcessorConfigValid(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			e := env(s.mustLoad(t).Services["call-processor"])
			for k, v := range e {
				if strings.HasSuffix(k, "_FILE") && strings.HasPrefix(v, "/run/secrets/") {
					e[k] = fakeSecret(t, k)
				}
			}
			cfg, err := config.Load(func(k string) string { return e[k] })
			if err != nil {
				t.Fatalf("call-processor's environment in %s is refused: %v", s.file, err)
			}
			if cfg.Environment != map[string]string{"production": "production", "dev": "dev", "staging": "staging"}[s.name] {
				t.Errorf("ENVIRONMENT %q in the %s stack", cfg.Environment, s.name)
			}
			if cfg.Database.URL == "" || cfg.Redis.URL == "" {
				t.Errorf("no PostgreSQL or Redis configured")
			}
			if cfg.Database.SpoolDir != dataVolumes["call-processor"] {
				t.Errorf("RECORD_SPOOL_DIR %q is not the spool volume %s", cfg.Database.SpoolDir, dataVolumes["call-processor"])
			}
		})
	}
}

// fakeSecret writes a stand-in for the Docker secret a *_FILE variable
// names and returns its path.
func fakeSecret(t *testing.T, name string) string {
	t.Helper()
	value := map[string]string{
		"DATABASE_URL_FILE": "postgres://tirevoice:fake@postgres:5432/tirevoice?sslmode=disable",
		"REDIS_URL_FILE":    "redis://:fake@redis:6379/0",
		"API_TOKEN_FILE":    "fake-api-token-as-long-as-production-wants", // at least 32 characters
	}[name]
	if value == "" {
		value = "fake-" + strings.ToLower(name)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Production secrets are Docker secrets, from files outside the repository.
func TestProductionSecrets(t *testing.T) {
	p := production.mustLoad(t)
	abs, _ := filepath.Abs(root)
	for name, sec := range p.Secrets {
		if sec.File == "" || strings.HasPrefix(sec.File, abs+string(filepath.Separator)) {
			t.Errorf("secret %s from %q: want a file outside the repository", name, sec.File)
		}
	}
	for name, svc := range p.Services {
		var mounted []string
		for _, s := range svc.Secrets {
			mounted = append(mounted, s.Source)
		}
		for k, v := range env(svc) {
			secret, ok := strings.CutPrefix(v, "/run/secrets/")
			if !ok {
				continue
			}
			if !slices.Contains(mounted, secret) {
				t.Errorf("%s: %s=%s but the service does not mount secret %q", name, k, v, secret)
			}
		}
	}
}

// Every file or folder mounted from the repository exists. The monitoring
// configuration is written separately; what of it is missing is logged.
func TestBindMountsExist(t *testing.T) {
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			for name, svc := range s.mustLoad(t).Services {
				for _, v := range svc.Volumes {
					if v.Type != types.VolumeTypeBind {
						continue
					}
					rel, err := filepath.Rel(abs, v.Source)
					if err != nil || strings.HasPrefix(rel, "..") {
						t.Errorf("%s mounts %s from outside the repository", name, v.Source)
						continue
					}
					if !v.ReadOnly {
						t.Errorf("%s mounts ./%s read-write", name, rel)
					}
					fi, err := os.Stat(v.Source)
					switch {
					case err != nil && strings.HasPrefix(rel, "monitoring"+string(filepath.Separator)):
						t.Logf("%s mounts ./%s, not written yet (tolerated: monitoring/ is another change)", name, rel)
					case err != nil:
						t.Errorf("%s mounts ./%s: %v", name, rel, err)
					case fi.IsDir() != !strings.HasSuffix(v.Target, ".yml"):
						t.Errorf("%s mounts ./%s on %s: a folder on a file or a file on a folder", name, rel, v.Target)
					}
				}
			}
		})
	}
}

// Our own services run with a read-only root, no capabilities and no
// privilege gain, wherever they run.
func TestHardening(t *testing.T) {
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			for name, svc := range s.mustLoad(t).Services {
				if !slices.Contains([]string{"call-processor", seeder, "store-api-mock"}, name) {
					continue
				}
				if !svc.ReadOnly || !slices.Equal(svc.CapDrop, []string{"ALL"}) || !slices.Contains(svc.SecurityOpt, "no-new-privileges:true") {
					t.Errorf("%s: read_only %v, cap_drop %v, security_opt %v", name, svc.ReadOnly, svc.CapDrop, svc.SecurityOpt)
				}
			}
		})
	}
}
