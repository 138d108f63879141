package config

import (
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
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
