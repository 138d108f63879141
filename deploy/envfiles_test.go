package deploy

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tirevoice/assistant/internal/config"
)

// envVar is one variable line of an env file: NAME=value, or #NAME=value
// (listed with its default, left unset). Comment lines are "# text".
type envVar struct {
	name, value string
	set         bool   // not commented out
	comment     string // the comment line right above it
	line        int
}

var envLineRE = regexp.MustCompile(`^(#?)([A-Z][A-Z0-9_]*)=(.*)$`)

// readEnvFile parses an env file of this repository; any other kind of line
// is an error, so that a typo cannot hide a variable.
func readEnvFile(t *testing.T, name string) []envVar {
	t.Helper()
	f, err := os.Open(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vars []envVar
	prevComment := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch m := envLineRE.FindStringSubmatch(line); {
		case m != nil:
			value := m[3]
			if uq, err := strconv.Unquote(value); err == nil {
				value = uq
			}
			vars = append(vars, envVar{name: m[2], value: value, set: m[1] == "", comment: prevComment, line: n})
			prevComment = ""
		case line == "":
			prevComment = ""
		case line == "#" || strings.HasPrefix(line, "# "):
			prevComment = strings.TrimSpace(strings.TrimPrefix(line, "#"))
		default:
			t.Fatalf("%s:%d: neither NAME=value, #NAME=value, a comment (# ...) nor blank: %q", name, n, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vars
}

// storeMockVars reads store-api-mock's variables and defaults from its
// source (the `vars` table in cmd/store-api-mock/config.go, which its
// `config` subcommand prints).
func storeMockVars(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join(root, "cmd", "store-api-mock", "config.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok || len(spec.Names) != 1 || spec.Names[0].Name != "vars" || len(spec.Values) != 1 {
			return true
		}
		lit, ok := spec.Values[0].(*ast.CompositeLit)
		if !ok {
			return false
		}
		for _, elt := range lit.Elts {
			row, ok := elt.(*ast.CompositeLit)
			if !ok || len(row.Elts) < 2 {
				continue
			}
			name, err1 := stringLit(row.Elts[0])
			def, err2 := stringLit(row.Elts[1])
			if err1 == nil && err2 == nil {
				vars[name] = def
			}
		}
		return false
	})
	if len(vars) == 0 {
		t.Fatal("cmd/store-api-mock/config.go: no `vars` table of {name, default, meaning} found")
	}
	return vars
}

func stringLit(e ast.Expr) (string, error) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", strconv.ErrSyntax
	}
	return strconv.Unquote(lit.Value)
}

var interpolationRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`)

// composeVars returns the variables the compose files interpolate, and the
// variables their services set in `environment`, with the raw (not
// interpolated) values, per file.
func composeVars(t *testing.T) (interpolated map[string]bool, environment map[string]map[string]string) {
	t.Helper()
	interpolated = map[string]bool{}
	environment = map[string]map[string]string{}
	for _, s := range stacks {
		raw, err := os.ReadFile(filepath.Join(root, s.file))
		if err != nil {
			t.Fatal(err)
		}
		// "$$" is a literal dollar (e.g. a variable of the container's shell).
		for _, m := range interpolationRE.FindAllStringSubmatch(strings.ReplaceAll(string(raw), "$$", ""), -1) {
			interpolated[m[1]] = true
		}
		var doc struct {
			Services map[string]struct {
				Environment any `yaml:"environment"`
			} `yaml:"services"`
		}
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", s.file, err)
		}
		for svc, def := range doc.Services {
			m := map[string]string{}
			switch e := def.Environment.(type) {
			case map[string]any:
				for k, v := range e {
					if v == nil {
						m[k] = ""
					} else {
						m[k] = strings.TrimSpace(yamlScalar(v))
					}
				}
			case []any:
				for _, kv := range e {
					k, v, _ := strings.Cut(yamlScalar(kv), "=")
					m[k] = v
				}
			}
			environment[s.name+" "+svc] = m
		}
	}
	return interpolated, environment
}

// devValue reports whether a dev credential says it is one: a URL's
// password, or the value itself, contains "dev"; a URL without a password
// holds no credential.
func devValue(v string) bool {
	if u, err := url.Parse(v); err == nil && u.Scheme != "" {
		p, ok := u.User.Password()
		return !ok || strings.Contains(p, "dev")
	}
	return strings.Contains(v, "dev")
}

func yamlScalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.Itoa(v)
	}
	b, _ := yaml.Marshal(v)
	return strings.TrimSpace(string(b))
}

// secretLike reports whether a variable holds a credential (MAX_TOKENS
// and SECRETS_DIR do not).
func secretLike(name string) bool {
	if strings.HasSuffix(name, "_FILE") {
		return false
	}
	for _, v := range config.Vars() {
		if v.Secret && v.Name == name {
			return true
		}
	}
	parts := strings.Split(name, "_")
	for i, p := range parts {
		switch {
		case p == "PASSWORD" || p == "TOKEN" || p == "SECRET" || name == "REDISCLI_AUTH":
			return true
		case p == "KEY" && i > 0 && parts[i-1] == "API":
			return true
		}
	}
	return false
}

// .env.example lists every variable of every service once, with its default
// and a comment.
func TestEnvExample(t *testing.T) {
	vars := readEnvFile(t, ".env.example")
	byName := map[string]envVar{}
	for _, v := range vars {
		if prev, ok := byName[v.name]; ok {
			t.Errorf(".env.example:%d: %s again (first on line %d)", v.line, v.name, prev.line)
		}
		byName[v.name] = v
		if v.comment == "" {
			t.Errorf(".env.example:%d: %s has no one-line comment above it", v.line, v.name)
		}
		if v.set {
			t.Errorf(".env.example:%d: %s is set; list it commented out (#%s=...) so that a copy sets nothing by accident", v.line, v.name, v.name)
		}
		if secretLike(v.name) && v.value != "" && !strings.Contains(v.value, "dev") {
			t.Errorf(".env.example:%d: %s has a value; secrets are never written here", v.line, v.name)
		}
	}
	want := func(name, def, why string) {
		t.Helper()
		v, ok := byName[name]
		switch {
		case !ok:
			t.Errorf(".env.example lacks %s (%s)", name, why)
		case def != "-" && v.value != def:
			t.Errorf(".env.example:%d: %s=%q, but its default is %q", v.line, name, v.value, def)
		}
	}
	known := map[string]bool{"GOOGLE_APPLICATION_CREDENTIALS": true} // read by Google's library
	for _, v := range config.Vars() {
		want(v.Name, v.Default, "call-processor")
		known[v.Name] = true
		if v.Secret {
			want(v.Name+"_FILE", "", "call-processor secret file")
			known[v.Name+"_FILE"] = true
		}
	}
	for name, def := range storeMockVars(t) {
		want(name, def, "store-api-mock")
		known[name] = true
	}
	// store-api-mock reads its tokens from files too.
	for _, name := range []string{"STORE_API_TOKEN_FILE", "STORE_API_ADMIN_TOKEN_FILE"} {
		want(name, "", "store-api-mock secret file")
		known[name] = true
	}
	interpolated, environment := composeVars(t)
	for name := range interpolated {
		want(name, "-", "interpolated by a compose file")
		known[name] = true
	}
	for svc, e := range environment {
		for name := range e {
			want(name, "-", "set for "+svc)
			known[name] = true
		}
	}
	for _, v := range vars {
		if !known[v.name] {
			t.Errorf(".env.example:%d: %s is used by no service or compose file", v.line, v.name)
		}
	}
}

// .env.staging: offline providers, low LLM limits, no key, fake credentials.
func TestEnvStaging(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(root, ".env.staging"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), ".env.staging.local") {
		t.Error(".env.staging does not say that local overrides go in .env.staging.local")
	}
	got := map[string]string{}
	for _, v := range readEnvFile(t, ".env.staging") {
		if !v.set {
			continue
		}
		got[v.name] = v.value
		if secretLike(v.name) && v.name != "ANTHROPIC_API_KEY" && !strings.Contains(v.value, "staging") {
			t.Errorf(".env.staging:%d: %s=%q does not look like a staging-only value", v.line, v.name, v.value)
		}
	}
	if k, ok := got["ANTHROPIC_API_KEY"]; ok && k != "" {
		t.Error(".env.staging holds an Anthropic key; it must come from the environment")
	}
	for name, want := range map[string]string{"STT_PROVIDER": "mock", "TTS_PROVIDER": "mock", "RESPONDER": "rules"} {
		if got[name] != want {
			t.Errorf("%s=%q, want %q (offline by default)", name, got[name], want)
		}
	}
	defaults := map[string]string{}
	for _, v := range config.Vars() {
		defaults[v.Name] = v.Default
	}
	maxTokens, _ := strconv.Atoi(defaults["CLAUDE_MAX_TOKENS"])
	for name, limit := range map[string]int{
		"CLAUDE_MAX_TOKENS":       maxTokens, // at most production's
		"LLM_REQUESTS_PER_MINUTE": 60,
		"LLM_TOKENS_PER_DAY":      200_000,
	} {
		n, err := strconv.Atoi(got[name])
		if err != nil || n <= 0 || n > limit {
			t.Errorf("%s=%q, want a staging limit between 1 and %d", name, got[name], limit)
		}
	}
	if _, err := netip.ParsePrefix(got["STAGING_SUBNET"]); err != nil {
		t.Errorf("STAGING_SUBNET: %v", err)
	}
	// Staging's credentials are its own: never .env.example's values (the
	// defaults, commented out there) nor the built-in development ones.
	example := map[string]string{}
	for _, v := range readEnvFile(t, ".env.example") {
		example[v.name] = v.value
	}
	compared := 0
	for name, value := range got {
		base, ok := strings.CutPrefix(name, "STAGING_")
		if !ok || !(strings.HasSuffix(name, "_TOKEN") || strings.HasSuffix(name, "_PASSWORD")) {
			continue
		}
		compared++
		if value == "" || value == example[base] || value == example[name] || value == defaults[base] {
			t.Errorf(".env.staging: %s=%q is empty or the same as %s in .env.example or its built-in default", name, value, base)
		}
	}
	if compared < 5 {
		t.Errorf("only %d staging credentials compared with .env.example; the STAGING_*_TOKEN / _PASSWORD names changed?", compared)
	}
}

// No credential is written in a compose file: production takes them from
// Docker secrets, staging from .env.staging (STAGING_* variables only),
// dev uses values that say they are dev ones; the Anthropic key only ever
// comes from the environment.
func TestNoSecretsInComposeFiles(t *testing.T) {
	_, environment := composeVars(t)
	for svc, e := range environment {
		stackName, _, _ := strings.Cut(svc, " ")
		for _, name := range slices.Sorted(maps.Keys(e)) {
			value := e[name]
			if name == "ANTHROPIC_API_KEY" {
				if value != "${ANTHROPIC_API_KEY:-}" && value != "${ANTHROPIC_API_KEY}" {
					t.Errorf("%s: ANTHROPIC_API_KEY=%q; it may only come from the environment", svc, value)
				}
				continue
			}
			if !secretLike(name) {
				continue
			}
			refs := interpolationRE.FindAllStringSubmatch(value, -1)
			literal := interpolationRE.ReplaceAllString(value, "")
			switch stackName {
			case "production":
				t.Errorf("%s: %s is set; production credentials are Docker secrets (%s_FILE)", svc, name, name)
			case "staging":
				if len(refs) == 0 {
					t.Errorf("%s: %s=%q is written in the file; take it from .env.staging", svc, name, value)
				}
				for _, r := range refs {
					if !strings.HasPrefix(r[1], "STAGING_") {
						t.Errorf("%s: %s comes from ${%s}; staging credentials are STAGING_* variables", svc, name, r[1])
					}
				}
			case "dev":
				if len(refs) > 0 || !devValue(literal) {
					t.Errorf("%s: %s=%q is not a plain dev value", svc, name, value)
				}
			}
		}
	}
}
