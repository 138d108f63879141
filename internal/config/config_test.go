package config

import (
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tirevoice/assistant/internal/routing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Call.EndpointSilence != 500*time.Millisecond || c.Call.NoInputTimeout != 8*time.Second ||
		c.Call.MaxDuration != 10*time.Minute || c.Call.BargeInSpeech != 200*time.Millisecond {
		t.Errorf("per-call defaults differ from DESIGN.md: %+v", c.Call)
	}
	if c.AudioSocket.Addr != ":9092" || c.HTTPAddr != ":8080" {
		t.Errorf("ports differ from DESIGN.md: %s %s", c.AudioSocket.Addr, c.HTTPAddr)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	tests := []struct {
		name, key, value string
	}{
		{"duration", "CALL_ENDPOINT_SILENCE", "fast"},
		{"negative duration", "DRAIN_TIMEOUT", "-1s"},
		{"number", "AUDIOSOCKET_MAX_CONNS", "many"},
		{"zero conns", "AUDIOSOCKET_MAX_CONNS", "0"},
		{"bool", "CALL_BARGE_IN", "sometimes"},
		{"cidr", "AUDIOSOCKET_ALLOWED_NETS", "10.0.0.0/33"},
		{"enum", "ENVIRONMENT", "prod"},
		{"provider", "STT_PROVIDER", "whisper"},
		{"lead", "CALL_PLAYOUT_LEAD_FRAMES", "50"},
		{"unknown routing topic", "OPERATOR_QUEUES", "weather=sky"},
		{"routing pair without a queue", "OPERATOR_QUEUES", "orders"},
		{"unsafe queue name", "OPERATOR_QUEUE_DEFAULT", "ops)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(map[string]string{tt.key: tt.value}))
			if err == nil || !strings.Contains(err.Error(), tt.key) {
				t.Fatalf("Load with %s=%q: error %v does not name the variable", tt.key, tt.value, err)
			}
		})
	}
}

func TestAllowedNets(t *testing.T) {
	c, err := Load(env(map[string]string{"AUDIOSOCKET_ALLOWED_NETS": "10.0.0.0/8, 192.168.1.7"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32")}
	if len(c.AudioSocket.AllowedNets) != 2 || c.AudioSocket.AllowedNets[0] != want[0] || c.AudioSocket.AllowedNets[1] != want[1] {
		t.Errorf("got %v, want %v", c.AudioSocket.AllowedNets, want)
	}
}

func TestProductionNeedsAllowedNets(t *testing.T) {
	if _, err := Load(env(map[string]string{"ENVIRONMENT": "production"})); err == nil || !strings.Contains(err.Error(), "AUDIOSOCKET_ALLOWED_NETS") {
		t.Fatalf("production without allowed nets: %v", err)
	}
}

// TestDocumented keeps docs/configuration.md true: every variable appears
// in exactly one table row, with its default.
func TestDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	row := regexp.MustCompile("(?m)^\\| `([A-Z0-9_]+)` \\| ([^|]*) \\|")
	documented := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(doc, -1) {
		if _, dup := documented[m[1]]; dup {
			t.Errorf("%s is documented twice", m[1])
		}
		documented[m[1]] = strings.TrimSpace(m[2])
	}
	known := map[string]bool{}
	for _, v := range Vars() {
		known[v.Name] = true
		got, ok := documented[v.Name]
		if !ok {
			t.Errorf("%s is not documented in docs/configuration.md", v.Name)
			continue
		}
		want := "`" + v.Default + "`"
		if v.Default == "" {
			want = "(empty)"
		}
		if got != want {
			t.Errorf("%s: documented default %s, code default %s", v.Name, got, want)
		}
	}
	for name := range documented {
		if !known[name] {
			t.Errorf("%s is documented but not read by the code", name)
		}
	}
}

// TestRoutingRule: the routing variables become the rule the calls use.
func TestRoutingRule(t *testing.T) {
	c, err := Load(env(map[string]string{"OPERATOR_QUEUE_DEFAULT": "front", "OPERATOR_QUEUES": "orders=orders,complaints=senior"}))
	if err != nil {
		t.Fatal(err)
	}
	rule, err := c.Routing.Rule()
	if err != nil {
		t.Fatal(err)
	}
	if got := rule.Queue(routing.TopicComplaints); got != "senior" {
		t.Errorf("complaints go to %q, want senior", got)
	}
	if got := rule.Queue(routing.TopicFitting); got != "front" {
		t.Errorf("fitting goes to %q, want the default front", got)
	}
	c, err = Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if rule, _ := c.Routing.Rule(); rule.Queue(routing.TopicOrders) != "operators" {
		t.Errorf("by default orders go to %q, want operators", rule.Queue(routing.TopicOrders))
	}
}

func TestSecretFromFile(t *testing.T) {
	path := t.TempDir() + "/token"
	if err := os.WriteFile(path, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"API_TOKEN_FILE": path}))
	if err != nil {
		t.Fatal(err)
	}
	if c.APIToken != "s3cret" {
		t.Errorf("API_TOKEN from file = %q", c.APIToken)
	}
	if _, err := Load(env(map[string]string{"API_TOKEN_FILE": path + ".missing"})); err == nil || !strings.Contains(err.Error(), "API_TOKEN_FILE") {
		t.Errorf("missing secret file: %v", err)
	}
}

// productionEnv is a production configuration that Load accepts.
func productionEnv() map[string]string {
	return map[string]string{
		"ENVIRONMENT":              "production",
		"API_TOKEN":                strings.Repeat("k", MinAPITokenLen),
		"DATABASE_URL":             "postgres://tirevoice:pw@db:5432/tirevoice",
		"REDIS_URL":                "redis://:pw@redis:6379/0",
		"STORE_API_URL":            "https://store.example.test",
		"STORE_API_TOKEN":          "real-store-token",
		"AUDIOSOCKET_ALLOWED_NETS": "10.20.1.0/24",
		"DIALPLAN_ALLOWED_NETS":    "10.20.1.0/24",
	}
}

// TestProductionRefusesTheUnsafe: each unsafe setting is refused in
// production with an error that names its variable, and accepted in
// staging, where it does no harm to real callers.
func TestProductionRefusesTheUnsafe(t *testing.T) {
	if _, err := Load(env(productionEnv())); err != nil {
		t.Fatalf("the safe production configuration is refused: %v", err)
	}
	tests := []struct {
		name, key, value string
	}{
		{"audiosocket open to all ipv4", "AUDIOSOCKET_ALLOWED_NETS", "0.0.0.0/0"},
		{"audiosocket open to all ipv6", "AUDIOSOCKET_ALLOWED_NETS", "10.20.1.0/24,::/0"},
		{"audiosocket open to all ipv4 as ipv6", "AUDIOSOCKET_ALLOWED_NETS", "::ffff:0.0.0.0/96"},
		{"audiosocket half the internet", "AUDIOSOCKET_ALLOWED_NETS", "0.0.0.0/1"},
		{"audiosocket empty allows all", "AUDIOSOCKET_ALLOWED_NETS", ""},
		{"dialplan open to all", "DIALPLAN_ALLOWED_NETS", "0.0.0.0/0,::/0"},
		{"dialplan open to all ipv6", "DIALPLAN_ALLOWED_NETS", "::/0"},
		{"empty api token", "API_TOKEN", ""},
		{"one-character api token", "API_TOKEN", "x"},
		{"31-character api token", "API_TOKEN", strings.Repeat("k", MinAPITokenLen-1)},
		{"debug log", "LOG_LEVEL", "debug"},
		{"calls kept for ever", "CALL_RETENTION", "0"},
		{"plaintext store api", "STORE_API_URL", "http://store.example.test"},
		{"plaintext claude", "CLAUDE_BASE_URL", "http://claude-proxy.internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := productionEnv()
			e[tt.key] = tt.value
			_, err := Load(env(e))
			if err == nil || !strings.Contains(err.Error(), tt.key) {
				t.Fatalf("production with %s=%q: error %v does not name the variable", tt.key, tt.value, err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, tt.key+": ") {
					t.Errorf("production with %s=%q: a refusal of something else: %s", tt.key, tt.value, line)
				}
			}
			e["ENVIRONMENT"] = "staging"
			if _, err := Load(env(e)); err != nil {
				t.Errorf("staging with %s=%q: %v", tt.key, tt.value, err)
			}
		})
	}
}

// TestProductionAcceptsPrivateNets: the widest private networks are still
// "the Asterisk hosts".
func TestProductionAcceptsPrivateNets(t *testing.T) {
	e := productionEnv()
	e["AUDIOSOCKET_ALLOWED_NETS"] = "10.0.0.0/8,172.16.0.0/12,fc00::/7"
	e["DIALPLAN_ALLOWED_NETS"] = "192.168.0.0/16,::ffff:10.0.0.0/104"
	e["CLAUDE_BASE_URL"] = "https://claude-proxy.internal"
	if _, err := Load(env(e)); err != nil {
		t.Fatal(err)
	}
}

func TestHTTPLimits(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if h := c.HTTP; h.ReadHeaderTimeout <= 0 || h.ReadTimeout < h.ReadHeaderTimeout || h.WriteTimeout <= 0 ||
		h.IdleTimeout <= 0 || h.MaxHeaderBytes <= 0 || h.MaxConns <= 0 {
		t.Errorf("HTTP limits by default: %+v; want every one set", h)
	}
	tests := []struct{ key, value string }{
		{"HTTP_READ_HEADER_TIMEOUT", "0s"},
		{"HTTP_READ_TIMEOUT", "1s"}, // below the header timeout
		{"HTTP_WRITE_TIMEOUT", "1s"},
		{"HTTP_IDLE_TIMEOUT", "0s"},
		{"HTTP_MAX_HEADER_BYTES", "100"},
		{"HTTP_MAX_CONNS", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if _, err := Load(env(map[string]string{tt.key: tt.value})); err == nil || !strings.Contains(err.Error(), tt.key) {
				t.Errorf("%s=%s: error %v does not name the variable", tt.key, tt.value, err)
			}
		})
	}
}
